import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import WebSocket from 'ws';
import { postCall, startTestBridge } from '../helpers/bridge.js';
import { tempDir } from '../helpers/temp.js';

async function started(t: TestContext) {
  const dataDir = path.join(tempDir(t), 'data');
  const { core, bridge } = await startTestBridge(t, dataDir);
  const journalSize = () => core.dispatcher.invoke('system.journal', { limit: 1000 }, { actor: 'system', user: 'test' }).then((e) => (e.ok ? (e.result as unknown[]).length : -1));
  return { bridge, journalSize };
}

/** Raw HTTP, so that Host and Origin can be anything a hostile page could send. */
function rawRequest(port: number, options: { path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: options.path, method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('every hostile request gets a specific refusal, nothing is written, and the bridge keeps serving', async (t) => {
  const { bridge, journalSize } = await started(t);
  const init = { siteId: 'st-marys' };
  const cases: Array<{ what: string; run: () => Promise<{ status: number; body: { error?: { code: string; message: string } } }>; status: number; code: string; message: RegExp }> = [
    { what: 'no token', run: () => postCall(bridge, 'identity.init', init, { Authorization: '' }), status: 401, code: 'UNAUTHORIZED', message: /token is missing or wrong/ },
    { what: 'wrong token', run: () => postCall(bridge, 'identity.init', init, { Authorization: `Bearer ${'x'.repeat(43)}` }), status: 401, code: 'UNAUTHORIZED', message: /token is missing or wrong/ },
    { what: 'foreign Origin', run: () => postCall(bridge, 'identity.init', init, { Origin: 'https://evil.example' }), status: 403, code: 'FORBIDDEN', message: /origin "https:\/\/evil.example" are refused/ },
    { what: 'body failing the schema', run: () => postCall(bridge, 'identity.init', { siteId: 'x', role: 'admin' }), status: 400, code: 'INVALID_INPUT', message: /^siteId: .*; role: Invalid option/ },
    { what: 'body that is not JSON', run: () => postCall(bridge, 'identity.init', '{"siteId":'), status: 400, code: 'INVALID_INPUT', message: /not valid JSON/ },
    { what: 'body over 1 MiB', run: () => postCall(bridge, 'identity.init', { siteId: 'st-marys', pad: 'x'.repeat(1024 * 1024) }), status: 413, code: 'PAYLOAD_TOO_LARGE', message: /larger than 1048576 bytes/ },
    { what: 'unknown call', run: () => postCall(bridge, 'identity.destroy', {}), status: 404, code: 'NOT_FOUND', message: /no call named "identity.destroy"/ },
  ];
  for (const c of cases) {
    const answer = await c.run();
    assert.equal(answer.status, c.status, c.what);
    assert.equal(answer.body.error?.code, c.code, c.what);
    assert.match(answer.body.error?.message ?? '', c.message, c.what);
  }
  assert.equal(await journalSize(), 0, 'no refused request reached a service');
  const status = await postCall(bridge, 'system.status', {});
  assert.equal(status.status, 200, 'still serving');
  assert.equal((status.body.result as { site: unknown }).site, null, 'no identity was created');
});

test('a chunked body over 1 MiB without Content-Length is cut off too', async (t) => {
  const { bridge } = await started(t);
  const answer = await rawRequest(bridge.port, {
    path: '/rpc/system.status',
    headers: { Host: `127.0.0.1:${bridge.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.token}`, 'Transfer-Encoding': 'chunked' },
    body: Buffer.alloc(1024 * 1024 + 10, 0x20),
  });
  assert.equal(answer.status, 413);
  assert.match(answer.body, /PAYLOAD_TOO_LARGE/);
  assert.equal((await postCall(bridge, 'system.status', {})).status, 200);
});

test('a foreign Host header (DNS rebinding) is refused, even with the token', async (t) => {
  const { bridge } = await started(t);
  const answer = await rawRequest(bridge.port, {
    path: '/rpc/system.status',
    headers: { Host: `attacker.example:${bridge.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.token}` },
    body: '{}',
  });
  assert.equal(answer.status, 403);
  assert.match(answer.body, /must address 127.0.0.1/);
});

test('static files are served with the CSP and never from outside the renderer', async (t) => {
  const { bridge } = await started(t);
  const page = await fetch(`http://127.0.0.1:${bridge.port}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const escape = await rawRequest(bridge.port, { method: 'GET', path: '/../../../../etc/passwd', headers: { Host: `127.0.0.1:${bridge.port}` } });
  assert.doesNotMatch(escape.body, /root:/, 'the path stays inside the renderer (an unknown route gets the app page)');
  const encoded = await rawRequest(bridge.port, { method: 'GET', path: '/%2e%2e/%2e%2e/package.json', headers: { Host: `127.0.0.1:${bridge.port}` } });
  assert.equal(encoded.status, 404);
});

test('the event WebSocket needs the token and an own Origin, then streams core events', async (t) => {
  const { bridge } = await started(t);
  const url = `ws://127.0.0.1:${bridge.port}/events`;
  const refused = (protocols: string[], origin?: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, protocols, origin ? { origin } : {});
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
  assert.equal(await refused(['outpost.events.v1']), 401);
  assert.equal(await refused(['outpost.events.v1', 'outpost.token.wrong']), 401);
  assert.equal(await refused(['outpost.events.v1', `outpost.token.${bridge.token}`], 'https://evil.example'), 403);

  const ws = new WebSocket(url, ['outpost.events.v1', `outpost.token.${bridge.token}`], { origin: `http://127.0.0.1:${bridge.port}` });
  t.after(() => ws.close());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  type Pushed = { name: string; payload: { siteId: string } };
  const received = new Promise<Pushed>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Pushed)));
  const created = await postCall(bridge, 'identity.init', { siteId: 'st-marys' }, { Origin: `http://127.0.0.1:${bridge.port}` });
  assert.equal(created.status, 200);
  const event = await received;
  assert.equal(event.name, 'identity.changed');
  assert.equal(event.payload.siteId, 'st-marys');
});
