import assert from 'node:assert/strict';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import { routerCaughtUp, startRouterSetup, type RouterSetup } from '../helpers/router.js';

/**
 * The router passes an endpoint's bytes through without re-framing them. These endpoints are raw
 * sockets, so each test controls the exact bytes and their timing: framing split at every byte,
 * extensions and trailers, a server that closes every connection it announced as keep-alive, a
 * stream cut inside a chunk, an HTTP/1.0 client that cannot take chunked framing, and a body that ends
 * with the connection (the router frames it in chunks itself).
 */
type Behaviour = 'byte-by-byte' | 'close-after' | 'cut-mid-chunk' | 'until-close';

const EVENTS = ['data: {"choices":[{"delta":{"content":"a"}}]}\n\n', 'data: {"choices":[{"delta":{"content":"b"}}]}\n\n', 'data: [DONE]\n\n'];

async function rawEndpoint(t: TestContext, behaviour: Behaviour): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    let buffered = '';
    socket.on('data', (bytes) => {
      buffered += bytes.toString('latin1');
      const headEnd = buffered.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? NaN);
      if (headEnd === -1 || buffered.length < headEnd + 4 + length) return;
      buffered = '';
      respond(socket, behaviour);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}

function respond(socket: net.Socket, behaviour: Behaviour): void {
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5, max=100\r\n\r\n';
  const body = `${EVENTS.map((e, i) => `${Buffer.byteLength(e).toString(16)}${i === 1 ? ';note=x' : ''}\r\n${e}\r\n`).join('')}0\r\nX-Checksum: 1\r\n\r\n`;
  if (behaviour === 'close-after') {
    socket.end(head + body);
    return;
  }
  if (behaviour === 'until-close') {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n');
    EVENTS.forEach((event, i) => setTimeout(() => (i === EVENTS.length - 1 ? socket.end(event) : socket.write(event)), 20 * (i + 1)));
    return;
  }
  if (behaviour === 'cut-mid-chunk') {
    socket.write(`${head}40\r\ndata: {"choices":[`);
    setTimeout(() => socket.destroy(), 50);
    return;
  }
  const bytes = Buffer.from(head + body, 'latin1');
  let at = 0;
  const next = () => {
    if (at >= bytes.length || socket.destroyed) return;
    socket.write(bytes.subarray(at, at + 1));
    at += 1;
    setTimeout(next, 0);
  };
  next();
}

async function withEndpoint(t: TestContext, behaviour: Behaviour): Promise<{ setup: RouterSetup; endpoint: Awaited<ReturnType<typeof rawEndpoint>> }> {
  const setup = await startRouterSetup(t, { upstreams: [] });
  const endpoint = await rawEndpoint(t, behaviour);
  await setup.call('router.endpoints.add', { name: 'raw', url: endpoint.url, models: ['tiny'], slots: 4 });
  await routerCaughtUp(setup);
  return { setup, endpoint };
}

const chat = JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], stream: true });

async function stream(setup: RouterSetup): Promise<{ status: number; text: string }> {
  const response = await fetch(`${setup.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${setup.key}`, 'content-type': 'application/json' }, body: chat });
  return { status: response.status, text: await response.text() };
}

test('chunk framing split at every byte, with an extension and trailers, reaches the client as the same events', async (t) => {
  const { setup } = await withEndpoint(t, 'byte-by-byte');
  const { status, text } = await stream(setup);
  assert.equal(status, 200);
  assert.equal(text, EVENTS.join(''));
});

test('an endpoint that closes every connection it announced as keep-alive costs no failed request', async (t) => {
  const { setup, endpoint } = await withEndpoint(t, 'close-after');
  for (let i = 0; i < 6; i += 1) {
    const { status, text } = await stream(setup);
    assert.equal(status, 200, `request ${i}`);
    assert.equal(text, EVENTS.join(''));
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(endpoint.connections(), 6, 'one connection per request');
  const metrics = await (await fetch(`${setup.url}/metrics`)).text();
  assert.doesNotMatch(metrics, /outpost_router_retries_total\{[^}]*\} [1-9]/, 'no request needed a retry');
  assert.match(metrics, /outpost_router_requests_total\{model="tiny",endpoint="raw",tier="site",status="200"\} 6/);
});

test('a stream cut inside a chunk is cut for the client too, never closed as if whole', async (t) => {
  const { setup } = await withEndpoint(t, 'cut-mid-chunk');
  const response = await fetch(`${setup.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${setup.key}`, 'content-type': 'application/json' }, body: chat });
  assert.equal(response.status, 200);
  await assert.rejects(response.text(), 'the body ends in an error, not a clean end of stream');
});

test('an HTTP/1.0 client gets the events without chunk framing, the connection closing at the end', async (t) => {
  const { setup } = await withEndpoint(t, 'byte-by-byte');
  const { port } = new URL(setup.url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  socket.write(`POST /v1/chat/completions HTTP/1.0\r\nAuthorization: Bearer ${setup.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chat)}\r\n\r\n${chat}`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const reply = Buffer.concat(chunks).toString('latin1');
  const [head, body] = reply.split('\r\n\r\n', 2) as [string, string];
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.doesNotMatch(head, /transfer-encoding/i);
  assert.equal(reply.slice(head.length + 4), EVENTS.join(''));
  assert.ok(body.length > 0);
});

test('a body that ends with the endpoint closing reaches an HTTP/1.1 client in chunks framed by the router, and its connection stays usable', async (t) => {
  const { setup } = await withEndpoint(t, 'until-close');
  const { port } = new URL(setup.url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  const request = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chat)}\r\n\r\n${chat}`;
  let reply = '';
  const ended = new Promise<void>((resolve) =>
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.endsWith('\r\n0\r\n\r\n')) resolve();
    }),
  );
  socket.write(request);
  await ended;
  const [head, body] = reply.split('\r\n\r\n', 2) as [string, string];
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /transfer-encoding: chunked/i);
  const framed = reply.slice(head.length + 4);
  assert.equal(dechunked(framed), EVENTS.join(''), 'the payload, chunk framing taken off, is the events');
  assert.ok(body.length > 0);
  socket.write(request);
  const again = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  assert.match(again, /^HTTP\/1\.1 200/, 'the same connection takes the next request');
  socket.destroy();
});

/** A chunked body's payload; throws on framing that is not exactly size line, data, CRLF, ending with the last chunk. */
function dechunked(framed: string): string {
  let payload = '';
  for (let at = 0; ;) {
    const lineEnd = framed.indexOf('\r\n', at);
    const size = parseInt(framed.slice(at, lineEnd), 16);
    if (lineEnd === -1 || Number.isNaN(size)) throw new Error(`bad chunk size line at ${at}`);
    if (size === 0) {
      assert.equal(framed.slice(lineEnd), '\r\n\r\n', 'the last chunk ends the body');
      return payload;
    }
    payload += framed.slice(lineEnd + 2, lineEnd + 2 + size);
    assert.equal(framed.slice(lineEnd + 2 + size, lineEnd + 4 + size), '\r\n');
    at = lineEnd + 4 + size;
  }
}
