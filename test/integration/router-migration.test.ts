import assert from 'node:assert/strict';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import OpenAI from 'openai';
import type { RouterPolicy } from '../../shared/domain/router.js';
import type { SimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';
import { routerCaughtUp, startRouterSetup, type RouterSetup } from '../helpers/router.js';

/**
 * Request migration: an endpoint that fails after the first token (dies, sends an error event, stalls)
 * has its stream continued on another endpoint, and the official client reads one stream. The
 * simulated endpoints write `t0 t1 …`, and a continued request goes on from the word it was given.
 */
const pacing = { ttftMs: 5, tokensPerSecond: 200, tokens: 8, dieAfterTokens: 3 };
const WHOLE = 't0 t1 t2 t3 t4 t5 t6 t7 ';

interface Setup extends RouterSetup {
  first: SimulatedUpstream;
  second: SimulatedUpstream;
  client: OpenAI;
}

/** `first` is the site tier and is always chosen first; `second`, at the edge, is where a stream moves. */
async function twoEndpoints(t: TestContext, policy: Partial<RouterPolicy> = {}): Promise<Setup> {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'a-first', tier: 'site', ...pacing },
      { name: 'b-second', tier: 'edge', ...pacing },
    ],
    policy: { breakerFailures: 100, affinityPrefixChars: 0, idleTimeoutMs: 300, ...policy },
  });
  const [first, second] = setup.upstreams as [SimulatedUpstream, SimulatedUpstream];
  return { ...setup, first, second, client: new OpenAI({ apiKey: setup.key, baseURL: `${setup.url}/v1`, maxRetries: 0 }) };
}

interface Read {
  text: string;
  ids: Set<string>;
  roles: number;
  finish: Array<string | null>;
  usage: unknown;
}

async function read(stream: AsyncIterable<{ id: string; choices: Array<{ delta?: { role?: string; content?: string | null }; text?: string; finish_reason: string | null }>; usage?: unknown }>): Promise<Read> {
  const result: Read = { text: '', ids: new Set(), roles: 0, finish: [], usage: null };
  for await (const chunk of stream) {
    result.ids.add(chunk.id);
    const choice = chunk.choices[0];
    if (choice?.delta?.role) result.roles += 1;
    result.text += choice?.delta?.content ?? choice?.text ?? '';
    if (choice?.finish_reason) result.finish.push(choice.finish_reason);
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

async function metrics(setup: RouterSetup): Promise<string> {
  return (await fetch(`${setup.url}/metrics`)).text();
}

/** The migrations the router logged, once the core has copied them into the ops journal. */
async function journaledMigrations(setup: RouterSetup, expected: number): Promise<Array<{ detail: string | null; input: unknown }>> {
  for (let i = 0; i < 100 && (await setup.call('router.status', {})).retriesPending < expected; i += 1) await new Promise((r) => setTimeout(r, 20));
  await setup.call('router.retries.journal', {});
  return (await setup.call('system.journal', { limit: 50 })).filter((e) => e.action === 'router.migration');
}

const lastBody = (upstream: SimulatedUpstream) => upstream.received.at(-1) as Record<string, unknown>;

test('a chat stream whose endpoint dies after 3 tokens is continued elsewhere: one whole stream, the partial answer and what is left of max_tokens sent on, usage across both', async (t) => {
  const setup = await twoEndpoints(t);
  await setup.first.setFault('die-mid-stream');
  const params = { model: 'tiny', messages: [{ role: 'user' as const, content: 'hello' }], stream: true as const, max_tokens: 20, temperature: 0.25, top_p: 0.5, seed: 7, stream_options: { include_usage: true }, x_sampler: { min_p: 0.1 } };
  const got = await read(await setup.client.chat.completions.create(params));
  assert.equal(got.text, WHOLE, 'every token, once, in order');
  assert.equal(got.ids.size, 1, `one id: ${[...got.ids].join(', ')}`);
  assert.match([...got.ids][0] ?? '', /a-first/, "the first endpoint's id");
  assert.equal(got.roles, 1, 'no second role delta');
  assert.deepEqual(got.finish, ['stop']);
  assert.deepEqual(got.usage, { prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
  const { messages, max_tokens, ...rest } = lastBody(setup.second);
  assert.deepEqual(messages, [...params.messages, { role: 'assistant', content: 't0 t1 t2 ' }]);
  assert.equal(max_tokens, 17);
  const { messages: _m, max_tokens: _t, ...sent } = params;
  assert.deepEqual(rest, sent, 'sampling settings and unknown fields unchanged');

  const journal = await journaledMigrations(setup, 1);
  assert.equal(journal.length, 1);
  assert.match(journal[0]?.detail ?? '', /a-first failed after 3 tokens \(.*\); the stream continued on b-second/);
  assert.deepEqual((journal[0]?.input as { toEndpoint: string; tokensSoFar: number }).tokensSoFar, 3);
  const scraped = await metrics(setup);
  assert.match(scraped, /outpost_router_migrations_total\{model="tiny",from="a-first",outcome="continued"\} 1/);
  assert.doesNotMatch(scraped, /outpost_router_stream_failures_total\{[^}]*\} [1-9]/);
});

test('a completions stream continues with the text appended to its prompt; the second endpoint stops at what is left of max_tokens', async (t) => {
  const setup = await twoEndpoints(t);
  await setup.first.setFault('die-mid-stream');
  const got = await read(await setup.client.completions.create({ model: 'tiny', prompt: 'Count: ', max_tokens: 6, stream: true, temperature: 0 }));
  assert.equal(got.text, 't0 t1 t2 t3 t4 t5 ');
  assert.deepEqual(got.finish, ['length']);
  assert.equal(got.ids.size, 1);
  assert.deepEqual(lastBody(setup.second), { model: 'tiny', prompt: 'Count: t0 t1 t2 ', max_tokens: 3, stream: true, temperature: 0 });
});

test('an error event mid-stream, and a stream stalled past idleTimeoutMs, move too; a spent max_tokens ends the stream without a second endpoint', async (t) => {
  const setup = await twoEndpoints(t);
  for (const fault of ['error-mid-stream', 'stall-after-first'] as const) {
    await setup.first.setFault(fault);
    const got = await read(await setup.client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true }));
    assert.equal(got.text, WHOLE, fault);
    assert.equal(got.ids.size, 1, fault);
  }
  assert.deepEqual((lastBody(setup.second).messages as unknown[]).at(-1), { role: 'assistant', content: 't0 ' }, 'the stall came after one token');
  const reached = setup.second.received.length;
  await setup.first.setFault('die-mid-stream');
  const spent = await read(await setup.client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true, max_tokens: 3 }));
  assert.equal(spent.text, 't0 t1 t2 ');
  assert.deepEqual(spent.finish, ['length']);
  assert.equal(setup.second.received.length, reached, `nothing was left to ask for, yet it was sent ${JSON.stringify(setup.second.received.at(-1))}`);
  assert.match(await metrics(setup), /outpost_router_migrations_total\{model="tiny",from="a-first",outcome="continued"\} 2/);
});

test('maxMigrations 0 gives the old error event; with 1, two endpoints that both die give one migration, then the error event', async (t) => {
  const setup = await twoEndpoints(t, { maxMigrations: 0 });
  await setup.first.setFault('die-mid-stream');
  const chat = () => setup.client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true });
  let text = '';
  const readAll = async () => {
    text = '';
    for await (const chunk of await chat()) text += chunk.choices[0]?.delta?.content ?? '';
  };
  await assert.rejects(readAll(), (error: Error) => /a-first failed mid-stream \([^)]*\); the output above is incomplete/.test(error.message));
  assert.equal(text, 't0 t1 t2 ');
  assert.equal(setup.second.received.length, 0, 'never moved');

  await setup.call('router.policy.set', { maxMigrations: 1 });
  await routerCaughtUp(setup);
  await setup.second.setFault('die-mid-stream');
  await assert.rejects(readAll(), (error: Error) => /b-second failed mid-stream .*policy maxMigrations 1 is spent/.test(error.message));
  assert.equal(text, 't0 t1 t2 t3 t4 t5 ', 'what both endpoints wrote, in order');
  assert.equal(setup.second.received.length, 1);
  assert.equal((await journaledMigrations(setup, 1)).length, 1);
  const scraped = await metrics(setup);
  assert.match(scraped, /outpost_router_migrations_total\{model="tiny",from="a-first",outcome="failed"\} 1/);
  assert.match(scraped, /outpost_router_stream_failures_total\{model="tiny",stage="after_first_token"\} 2/);
});

test('an error event in the same read as the tokens before it is held back: those tokens reach the client, the error does not', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'b-second', tier: 'edge', ...pacing }], policy: { affinityPrefixChars: 0 } });
  // llama-server's way: the last token and the error event written together, each event in a chunk of its own.
  const event = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
  const token = (i: number) => event(`data: ${JSON.stringify({ id: 'raw-1', created: 5, model: 'tiny', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: 't0 ' } : { content: `t${i} ` }, finish_reason: null }] })}\n\n`);
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${token(0)}`);
      setTimeout(() => socket.end(`${token(1)}${event('data: {"error":{"code":500,"message":"the slot crashed","type":"server_error"}}\n\n')}0\r\n\r\n`), 30);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await setup.call('router.endpoints.add', { name: 'a-raw', url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, tier: 'site', models: ['tiny'], slots: 4 });
  await routerCaughtUp(setup);
  const client = new OpenAI({ apiKey: setup.key, baseURL: `${setup.url}/v1`, maxRetries: 0 });
  const got = await read(await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true }));
  assert.equal(got.text, WHOLE);
  assert.deepEqual([...got.ids], ['raw-1']);
  assert.deepEqual((lastBody(setup.upstreams[0] as SimulatedUpstream).messages as unknown[]).at(-1), { role: 'assistant', content: 't0 t1 ' });
});
