import assert from 'node:assert/strict';
import test from 'node:test';
import OpenAI from 'openai';
import { errorOf, post, routerCaughtUp, startRouterSetup } from '../helpers/router.js';

const chat = { model: 'tiny', messages: [{ role: 'user', content: 'hello' }], stream: true };
const fast = { ttftMs: 5, tokensPerSecond: 2000, tokens: 4 };

test('failures before the first byte are retried on another endpoint and journaled: refused, 500, hang', async (t) => {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'a-broken', ...fast },
      { name: 'b-good', ...fast },
    ],
    policy: { firstByteTimeoutMs: 600, breakerFailures: 100, affinityPrefixChars: 0 },
  });
  const [broken, good] = setup.upstreams as [NonNullable<(typeof setup.upstreams)[0]>, NonNullable<(typeof setup.upstreams)[0]>];
  for (const fault of ['refuse', 'http-500', 'hang'] as const) {
    await broken.setFault(fault);
    for (let i = 0; i < 4; i += 1) {
      const answer = await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
      assert.equal(answer.status, 200, `${fault}: the client never sees the failure: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.headers.get('x-outpost-endpoint'), 'b-good', fault);
      assert.match(String(answer.json), /data: \[DONE\]/, fault);
    }
  }
  assert.ok(good.completed >= 12);
  const pending = (await setup.call('router.status', {})).retriesPending;
  assert.ok(pending >= 3, `the router logged its retries (${pending})`);
  assert.equal((await setup.call('router.status', {})).retriesPending, pending, 'reading the status journals nothing');
  assert.equal((await setup.call('router.retries.journal', {})).journaled, pending);
  const journal = await setup.call('system.journal', { limit: 50 });
  const reasons = journal.filter((e) => e.action === 'router.retry').map((e) => e.detail ?? '');
  assert.ok(
    reasons.some((r) => /a-broken failed before the first byte \(.*ECONNREFUSED/.test(r)),
    reasons.join('\n'),
  );
  assert.ok(reasons.some((r) => /HTTP 500/.test(r)));
  assert.ok(reasons.some((r) => /no first byte within 600 ms/.test(r)));
  assert.equal((await setup.call('router.retries.journal', {})).journaled, 0, 'each retry is journaled once');
  assert.equal((await setup.call('router.status', {})).retriesPending, 0);
  const metrics = await fetch(`${setup.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /outpost_router_retries_total\{model="tiny",endpoint="a-broken",reason="status"\} [1-9]/);
});

test('after the first byte there is no retry: the openai client sees a stream error, and a stalled stream is cut', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'only', ttftMs: 5, tokensPerSecond: 200, tokens: 20, dieAfterTokens: 3 }], policy: { idleTimeoutMs: 300 } });
  const only = setup.upstreams[0] as NonNullable<(typeof setup.upstreams)[0]>;
  const client = new OpenAI({ apiKey: setup.key, baseURL: `${setup.url}/v1`, maxRetries: 0 });
  for (const fault of ['die-mid-stream', 'stall-after-first'] as const) {
    await only.setFault(fault);
    const received = only.received.length;
    const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (error: Error) => /failed mid-stream/.test(error.message),
      fault,
    );
    assert.ok(text.startsWith('t0 '), `${fault}: the client kept what it got`);
    assert.equal(only.received.length, received + 1, `${fault}: never retried after the first byte`);
  }
});

test('all endpoints down is a clear 503; the breaker opens, then a probe closes it when the endpoint is back', async (t) => {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'x', ...fast },
      { name: 'y', ...fast },
    ],
    policy: { breakerFailures: 2, breakerCooldownMs: 300, probeIntervalMs: 200, maxRetries: 1 },
  });
  const [x, y] = setup.upstreams as [NonNullable<(typeof setup.upstreams)[0]>, NonNullable<(typeof setup.upstreams)[0]>];
  await x.setFault('http-500');
  await y.setFault('http-500');
  const first = await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
  assert.equal(first.status, 503);
  assert.equal(errorOf(first.json).code, 'upstream_failed');
  assert.match(errorOf(first.json).message, /failed on 2 endpoints before any output \(x: HTTP 500; y: HTTP 500\)|failed on 2 endpoints before any output \(y: HTTP 500; x: HTTP 500\)/);
  await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
  const open = await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
  assert.equal(open.status, 503);
  assert.equal(errorOf(open.json).code, 'no_endpoint_available');
  assert.match(errorOf(open.json).message, /site: x breaker open, y breaker open/);
  const reached = x.received.length + y.received.length;
  await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
  assert.equal(x.received.length + y.received.length, reached, 'an open breaker sends nothing');

  await x.setFault('none');
  let served = 0;
  for (let i = 0; i < 40 && served === 0; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    const answer = await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
    if (answer.status === 200) served += 1;
  }
  assert.equal(served, 1, 'the endpoint that came back serves again');
  await routerCaughtUp(setup);
  const stats = (await setup.call('router.status', {})).stats;
  assert.ok(stats);
});
