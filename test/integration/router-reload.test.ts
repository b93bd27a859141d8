import assert from 'node:assert/strict';
import test from 'node:test';
import OpenAI from 'openai';
import { routerCaughtUp, startRouterSetup } from '../helpers/router.js';

test('a config reload mid-stream drops nothing: new endpoints join, a removed one finishes its streams', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'old', ttftMs: 20, tokensPerSecond: 30, tokens: 24 }], policy: { affinityPrefixChars: 0 } });
  const client = new OpenAI({ apiKey: setup.key, baseURL: `${setup.url}/v1`, maxRetries: 0 });
  const consume = async () => {
    const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true });
    let tokens = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) tokens += 1;
    return tokens;
  };
  const running = Array.from({ length: 6 }, consume);
  const old = setup.upstreams[0] as NonNullable<(typeof setup.upstreams)[0]>;
  for (let i = 0; i < 200 && old.active < 6; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.equal(old.active, 6, 'six streams are running on the old endpoint');
  const { startSimulatedUpstream } = await import('../fixtures/simulated-openai-upstream.js');
  const fresh = await startSimulatedUpstream({ name: 'new', ttftMs: 5, tokensPerSecond: 1000, tokens: 3 });
  t.after(() => fresh.close());
  await setup.call('router.endpoints.add', { name: 'new', url: fresh.url, models: ['tiny'] });
  await setup.call('router.policy.set', { maxRetries: 1 });
  await setup.call('router.endpoints.remove', { name: 'old' });
  await routerCaughtUp(setup);
  const after = await consume();
  assert.equal(after, 3, 'new requests go to the new endpoint');
  assert.deepEqual(await Promise.all(running), [24, 24, 24, 24, 24, 24], 'every stream that started on the removed endpoint finished whole');
});

test('a client that disconnects cancels its upstream request', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu', ttftMs: 10, tokensPerSecond: 20, tokens: 200 }] });
  const upstream = setup.upstreams[0] as NonNullable<(typeof setup.upstreams)[0]>;
  const controller = new AbortController();
  const response = await fetch(`${setup.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${setup.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true }),
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  assert.equal(upstream.active, 1);
  controller.abort();
  for (let i = 0; i < 50 && upstream.active > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(upstream.active, 0, 'the upstream stream stopped');
  assert.equal(upstream.cancelled, 1);
  assert.equal(upstream.completed, 0);
  // The same holds while waiting for the first token.
  upstream.pacing.ttftMs = 5_000;
  const early = new AbortController();
  const pending = fetch(`${setup.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${setup.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true }),
    signal: early.signal,
  }).catch(() => undefined);
  for (let i = 0; i < 50 && upstream.active === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  early.abort();
  await pending;
  for (let i = 0; i < 50 && upstream.active > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(upstream.cancelled, 2);
  await routerCaughtUp(setup);
});

test('revoking a key takes effect in the running router without a restart', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu', ttftMs: 5, tokensPerSecond: 1000, tokens: 2 }] });
  const created = await setup.call('router.keys.add', { app: 'clinic' });
  await routerCaughtUp(setup);
  const ask = () => fetch(`${setup.url}/v1/models`, { headers: { authorization: `Bearer ${created.key}` } }).then((r) => r.status);
  assert.equal(await ask(), 200);
  await setup.call('router.keys.revoke', { id: created.id });
  await routerCaughtUp(setup);
  assert.equal(await ask(), 401);
});
