import assert from 'node:assert/strict';
import net from 'node:net';
import test from 'node:test';
import OpenAI from 'openai';
import { errorOf, post, routerCaughtUp, startRouterSetup } from '../helpers/router.js';

const chat = { model: 'tiny', messages: [{ role: 'user', content: 'hello' }] };

test('the official openai client works unchanged through the router: streaming, non-streaming, completions, models', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 20, tokensPerSecond: 400, tokens: 12 }] });
  const client = new OpenAI({ apiKey: setup.key, baseURL: `${setup.url}/v1`, maxRetries: 0 });

  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['tiny'],
  );

  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  let events = 0;
  for await (const chunk of stream) {
    events += 1;
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(text, Array.from({ length: 12 }, (_, i) => `t${i} `).join(''));
  assert.equal(events, 13, '12 tokens and the closing chunk');

  const whole = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(whole.choices[0]?.message.content?.split(' ').filter(Boolean).length, 12);
  assert.equal(whole.usage?.completion_tokens, 12);

  const completion = await client.completions.create({ model: 'tiny', prompt: 'once upon', max_tokens: 5 });
  assert.match(completion.choices[0]?.text ?? '', /^t0 t1/);
  const completionStream = await client.completions.create({ model: 'tiny', prompt: 'once upon', stream: true });
  let streamed = '';
  for await (const chunk of completionStream) streamed += chunk.choices[0]?.text ?? '';
  assert.match(streamed, /t11 $/);
});

test('unknown request fields reach the upstream untouched; the router-only latency budget does not', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 5, tokensPerSecond: 1000, tokens: 3 }] });
  const sent = { ...chat, mirostat: 2, cache_prompt: true, grammar: 'root ::= "x"', nested: { a: [1, 2] }, max_latency_ms: 60_000 };
  const answer = await post(`${setup.url}/v1/chat/completions`, setup.key, sent);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('x-outpost-endpoint'), 'gpu-a');
  assert.equal(answer.headers.get('x-outpost-tier'), 'site');
  const received = setup.upstreams[0]?.received.at(-1) as Record<string, unknown>;
  const { max_latency_ms: _dropped, ...expected } = sent;
  assert.deepEqual(received, expected);
});

test('bad requests get a specific OpenAI-format error and the router keeps serving', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', models: ['tiny', 'big'], ttftMs: 5, tokensPerSecond: 1000, tokens: 2 }], policy: { maxBodyBytes: 4096 } });
  const url = `${setup.url}/v1/chat/completions`;
  const limited = await setup.call('router.keys.add', { app: 'camera', models: ['tiny'] });
  const revoked = await setup.call('router.keys.add', { app: 'old' });
  await setup.call('router.keys.revoke', { id: revoked.id });
  await routerCaughtUp(setup);

  const cases: Array<[string, Promise<{ status: number; json: unknown }>, number, string, RegExp]> = [
    ['no key', post(url, null, chat), 401, 'missing_api_key', /Authorization: Bearer/],
    ['wrong key', post(url, 'opk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', chat), 401, 'invalid_api_key', /not valid/],
    ['not our format', post(url, 'sk-something', chat), 401, 'invalid_api_key', /not valid/],
    ['revoked key', post(url, revoked.key, chat), 401, 'invalid_api_key', /revoked/],
    ['key for another model', post(url, limited.key, { ...chat, model: 'big' }), 403, 'model_not_allowed', /camera may not use big; it may use tiny/],
    ['unknown model', post(url, setup.key, { ...chat, model: 'gpt-9' }), 404, 'model_not_found', /no endpoint serves the model gpt-9; available: big, tiny/],
    ['malformed JSON', post(url, setup.key, '{"model": "tiny",'), 400, 'invalid_json', /not valid JSON/],
    ['not an object', post(url, setup.key, '[1,2]'), 400, 'invalid_json', /JSON object/],
    ['no messages', post(url, setup.key, { model: 'tiny' }), 400, 'invalid_messages', /messages/],
    ['body too large', post(url, setup.key, { ...chat, padding: 'x'.repeat(8000) }), 413, 'request_too_large', /limit of 4096 bytes/],
    ['negative budget', post(url, setup.key, { ...chat, max_latency_ms: -5 }), 400, 'invalid_latency_budget', /from 1 to 600000 \(got -5\)/],
    ['absurd budget header', post(url, setup.key, chat, { 'x-outpost-max-latency-ms': '99999999999' }), 400, 'invalid_latency_budget', /X-Outpost-Max-Latency-Ms/],
    ['budget not a number', post(url, setup.key, chat, { 'x-outpost-max-latency-ms': 'soon' }), 400, 'invalid_latency_budget', /"soon"/],
    ['wrong method', fetch(`${setup.url}/v1/models`, { method: 'DELETE', headers: { authorization: `Bearer ${setup.key}` } }).then(async (r) => ({ status: r.status, json: await r.json() })), 405, 'method_not_allowed', /takes GET/],
    ['unknown path', post(`${setup.url}/v2/anything`, setup.key, chat), 404, 'unknown_url', /\/v1\/chat\/completions/],
  ];
  for (const [what, pending, status, code, message] of cases) {
    const answer = await pending;
    assert.equal(answer.status, status, what);
    const error = errorOf(answer.json);
    assert.equal(error.code, code, what);
    assert.match(error.message, message, what);
    assert.equal(typeof error.type, 'string', what);
  }
  const limitedModels = await fetch(`${setup.url}/v1/models`, { headers: { authorization: `Bearer ${limited.key}` } }).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
  assert.deepEqual(
    limitedModels.data.map((m) => m.id),
    ['tiny'],
    'a limited key sees only its models',
  );
  const ok = await post(url, limited.key, chat);
  assert.equal(ok.status, 200, 'the router still serves after every refusal');
  assert.equal(setup.upstreams[0]?.received.length, 1, 'no refused request reached the upstream');
});

test('a request body is read however it arrives: with its headers, split across packets, chunked, pipelined, empty', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 1, tokensPerSecond: 1000, tokens: 2 }] });
  const port = Number(new URL(setup.url).port);
  const body = (content: string) => JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }] });
  const head = (length: number | 'chunked', close = false) =>
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nContent-Type: application/json\r\n` +
    `${length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
  /** Writes the parts in order (a number is a pause in ms) and returns what came back until the router closed. */
  const exchange = (parts: Array<string | number>) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        (async () => {
          for (const part of parts) {
            if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
            else socket.write(part);
          }
        })().catch(reject);
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
  const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

  const whole = body('in one packet');
  assert.deepEqual(statuses(await exchange([head(Buffer.byteLength(whole), true) + whole])), [200], 'headers and body in one write');
  const split = body('in two packets');
  assert.deepEqual(statuses(await exchange([head(Buffer.byteLength(split), true) + split.slice(0, 10), 50, split.slice(10)])), [200], 'the body split, the second part 50 ms later');
  const chunked = body('chunked');
  const chunks = `${(10).toString(16)}\r\n${chunked.slice(0, 10)}\r\n${Buffer.byteLength(chunked.slice(10)).toString(16)}\r\n${chunked.slice(10)}\r\n0\r\n\r\n`;
  assert.deepEqual(statuses(await exchange([head('chunked', true) + chunks])), [200], 'a chunked body');
  const first = body('pipelined one');
  const second = body('pipelined two');
  assert.deepEqual(statuses(await exchange([head(Buffer.byteLength(first)) + first + head(Buffer.byteLength(second), true) + second])), [200, 200], 'two requests in one write on one connection, answered in order');
  const empty = await exchange([head(0, true)]);
  assert.deepEqual(statuses(empty), [400]);
  assert.match(empty, /empty_body/);

  const received = (setup.upstreams[0]?.received ?? []).map((r) => (r as { messages: Array<{ content: string }> }).messages[0]?.content);
  assert.deepEqual(received, ['in one packet', 'in two packets', 'chunked', 'pipelined one', 'pipelined two'], 'each body reached the upstream whole, in order');
});

test('a latency budget no tier can meet is a 503 that says which endpoint expects how long', async (t) => {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'slow-site', tier: 'site', ttftMs: 150, tokensPerSecond: 1000, tokens: 2 },
      { name: 'slow-edge', tier: 'edge', ttftMs: 150, tokensPerSecond: 1000, tokens: 2 },
    ],
  });
  const url = `${setup.url}/v1/chat/completions`;
  const first = await post(url, setup.key, chat);
  assert.equal(first.headers.get('x-outpost-tier'), 'site', 'the nearest tier first');
  assert.equal((await post(url, setup.key, chat, { 'x-outpost-max-latency-ms': '5000' })).status, 200);
  // The edge endpoint was never measured, so it is given the chance: the measured-slow site endpoint is skipped.
  const edgeAnswer = await post(url, setup.key, { ...chat, max_latency_ms: 50 });
  assert.equal(edgeAnswer.status, 200);
  assert.equal(edgeAnswer.headers.get('x-outpost-tier'), 'edge');
  const answer = await post(url, setup.key, { ...chat, max_latency_ms: 50 });
  assert.equal(answer.status, 503);
  const error = errorOf(answer.json);
  assert.equal(error.code, 'latency_budget_unmeetable');
  assert.match(error.message, /^no endpoint can serve tiny within 50 ms \(site: slow-site expects 1\d\d ms with 0 in flight; edge: slow-edge expects 1\d\d ms with 0 in flight\)$/);
});

test('a slow-loris client is cut off by the client timeout; /healthz and /metrics answer', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 5, tokensPerSecond: 1000, tokens: 2 }], policy: { clientTimeoutMs: 400 } });
  const { port } = new URL(setup.url);
  const closedAfter = await new Promise<{ ms: number; text: string }>((resolve) => {
    const started = Date.now();
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nContent-Length: 500\r\n\r\n{"model":`);
    });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve({ ms: Date.now() - started, text }));
  });
  assert.match(closedAfter.text, /^HTTP\/1\.1 408/);
  assert.match(closedAfter.text, /request_timeout/);
  const headersOnly = await new Promise<string>((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
  });
  assert.match(headersOnly, /^HTTP\/1\.1 408/, 'headers that never finish get a 408 too');

  await post(`${setup.url}/v1/chat/completions`, setup.key, chat);
  const health = (await fetch(`${setup.url}/healthz`).then((r) => r.json())) as { status: string; models: string[] };
  assert.equal(health.status, 'ok');
  assert.deepEqual(health.models, ['tiny']);
  const metrics = await fetch(`${setup.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /outpost_router_requests_total\{model="tiny",endpoint="gpu-a",tier="site",status="200"\} 1/);
  assert.match(metrics, /outpost_router_ttft_seconds_count\{model="tiny",endpoint="gpu-a",tier="site"\} 1/);
  assert.match(metrics, /outpost_router_request_duration_seconds_bucket/);
  assert.match(metrics, /outpost_router_in_flight\{endpoint="gpu-a",tier="site"\} 0/);
  assert.match(metrics, /outpost_router_breaker_state\{endpoint="gpu-a",tier="site"\} 0/);
});
