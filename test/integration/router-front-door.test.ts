import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import test from 'node:test';
import { promisify } from 'node:util';
import { startRouterSetup, type RouterSetup } from '../helpers/router.js';

const run = promisify(execFile);

/** Writes the parts in order (a number is a pause in ms) and returns what came back until the router closed. */
function exchange(setup: RouterSetup, parts: Array<string | number>, closeAfterMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(setup.url).port), '127.0.0.1', () => {
      (async () => {
        for (const part of parts) {
          if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
          else if (!socket.destroyed) socket.write(part);
        }
      })().catch(reject);
    });
    let text = '';
    const timer = setTimeout(() => socket.destroy(), closeAfterMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** Status lines anywhere: a response follows the last one's body directly, not on a line of its own. */
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
const chatBody = (content: string, stream = false) => JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content }], stream });

test('request smuggling shapes are refused and the connection closed: the smuggled request is never served', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 1, tokensPerSecond: 1000, tokens: 2 }] });
  const auth = `Authorization: Bearer ${setup.key}\r\n`;
  const smuggled = `GET /v1/models HTTP/1.1\r\nHost: x\r\n${auth}\r\n`;
  const body = chatBody('first');
  const attempts: Array<[string, string]> = [
    [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, 'ambiguous_length'],
    [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 0\r\nContent-Length: 60\r\n\r\n${smuggled}`, 'duplicate_header'],
    [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`, 'unsupported_transfer_encoding'],
    [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}X-Pad: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${smuggled}`, 'malformed_header'],
    [`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0x0\r\n\r\n${smuggled}`, 'broken_body'],
  ];
  for (const [wire, code] of attempts) {
    const answer = await exchange(setup, [wire]);
    assert.equal(statuses(answer).length, 1, `one answer, then the connection closed: ${code}`);
    assert.match(answer, /^HTTP\/1\.1 (400|501) /);
    assert.match(answer, /connection: close/i);
    assert.ok(answer.includes(`"code":"${code}"`), `${code} in ${answer.slice(-200)}`);
    assert.doesNotMatch(answer, /"object":"list"/, 'the smuggled GET /v1/models was not answered');
  }
  assert.equal(setup.upstreams[0]?.received.length, 0, 'no refused request reached the endpoint');
});

test('heads over the size limit, unknown expectations and non-HTTP bytes get their status at once; the router keeps serving', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 1, tokensPerSecond: 1000, tokens: 2 }], policy: { maxBodyBytes: 2048 } });
  const started = Date.now();
  const huge = await exchange(setup, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`]);
  assert.deepEqual(statuses(huge), [431]);
  const tls = await exchange(setup, ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03']);
  assert.deepEqual(statuses(tls), [400], 'a TLS hello on the plain port is refused');
  const expect = await exchange(setup, [`POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nContent-Length: 10\r\nExpect: 200-ok\r\n\r\n`]);
  assert.deepEqual(statuses(expect), [417]);
  const tooLarge = await exchange(setup, [`POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n`]);
  assert.deepEqual(statuses(tooLarge), [413], 'a declared body over the limit is refused before it is sent (no 100 Continue)');
  assert.match(tooLarge, /request_too_large/);
  const chunkedTooLarge = await exchange(setup, [`POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${setup.key}\r\nTransfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 5 }, () => `400\r\n${'x'.repeat(1024)}\r\n`)]);
  assert.deepEqual(statuses(chunkedTooLarge), [413], 'a chunked body is cut off once it passes the limit');
  assert.ok(Date.now() - started < 4_000, 'none of them waited for a timeout');

  const head = await exchange(setup, ['HEAD /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  assert.deepEqual(statuses(head), [405]);
  assert.match(head, /content-length: \d+\r\n/);
  assert.ok(head.endsWith('\r\n\r\n'), 'a HEAD answer has no body');
  const models = await fetch(`${setup.url}/v1/models`, { headers: { authorization: `Bearer ${setup.key}` } });
  assert.equal(models.status, 200);
});

test('keep-alive: an HTTP/1.0 client that asks keeps its connection; Expect: 100-continue gets its 100 before the body', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 1, tokensPerSecond: 1000, tokens: 2 }] });
  const auth = `Authorization: Bearer ${setup.key}\r\n`;
  const http10 = await exchange(setup, [`GET /v1/models HTTP/1.0\r\n${auth}Connection: keep-alive\r\n\r\n`, 100, `GET /healthz HTTP/1.0\r\n\r\n`]);
  assert.deepEqual(statuses(http10), [200, 200], 'two requests on one HTTP/1.0 connection');
  assert.match(http10, /connection: keep-alive/i);

  const body = chatBody('after continue');
  const waited = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(new URL(setup.url).port), '127.0.0.1', () => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d: Buffer) => {
      const before = text;
      text += d.toString('latin1');
      if (!before.includes('100 Continue') && text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) socket.write(body);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
  assert.deepEqual(statuses(waited), [100, 200]);
  assert.equal((setup.upstreams[0]?.received[0] as { messages: Array<{ content: string }> }).messages[0]?.content, 'after continue');
});

test('curl streams through the router, with Expect: 100-continue as curl sends it for large bodies', async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a', ttftMs: 5, tokensPerSecond: 500, tokens: 4 }] });
  const body = chatBody(`describe: ${'weld seam '.repeat(200)}`, true);
  const { stdout, stderr } = await run('curl', [
    '-sS',
    '-N',
    '-v',
    '--max-time',
    '10',
    '-H',
    'Expect: 100-continue',
    '-H',
    `Authorization: Bearer ${setup.key}`,
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    body,
    `${setup.url}/v1/chat/completions`,
  ]);
  assert.match(stderr, /> Expect: 100-continue/);
  assert.match(stderr, /< HTTP\/1\.1 100 Continue/);
  assert.match(stderr, /< HTTP\/1\.1 200 OK/);
  const events = stdout.split('\n\n').filter((e) => e.startsWith('data: {'));
  assert.equal(events.length, 5, 'four tokens and the stop event');
  assert.ok(stdout.trimEnd().endsWith('data: [DONE]'));
});
