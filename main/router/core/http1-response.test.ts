import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyFraming, parseResponseHead, type BodyStep } from './http1-response.js';

const head = (text: string) => parseResponseHead(Buffer.from(text, 'latin1'));

test('a response head: status, content type, how the body ends, whether the connection stays open', () => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\ndata';
  const chunked = head(text.replace('chunked\r\n', 'chunked\r\nKeep-Alive: timeout=5, max=100\r\n'));
  assert.equal(chunked.kind, 'head');
  if (chunked.kind !== 'head') return;
  assert.deepEqual(chunked.head, { status: 200, contentType: 'text/event-stream', body: 'chunked', length: 0, keepAlive: true, keepAliveTimeoutMs: 5000 });
  assert.equal(chunked.consumed, text.length + 32 - 'data'.length, 'the body starts right after the blank line');
  const sized = head('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 12\r\nConnection: close\r\n\r\n');
  assert.deepEqual(sized.kind === 'head' && sized.head, { status: 500, contentType: null, body: 'length', length: 12, keepAlive: false, keepAliveTimeoutMs: null });
  const http10 = head('HTTP/1.0 200 OK\r\n\r\n');
  assert.deepEqual(http10.kind === 'head' && http10.head, { status: 200, contentType: null, body: 'until-close', length: 0, keepAlive: false, keepAliveTimeoutMs: null });
  const interim = head('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
  assert.equal(interim.kind === 'head' && interim.informational, true);
  const both = head('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.deepEqual(both.kind === 'head' && [both.head.body, both.head.keepAlive], ['chunked', false], 'chunked wins, and the connection is not trusted again');
  assert.equal(head('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n').kind, 'incomplete');
});

test('heads that are not HTTP/1.1 are refused with the reason', () => {
  const reasons = [
    'SSH-2.0-OpenSSH_9.2\r\n\r\n',
    'HTTP/1.1 200 OK\r\n bad folded line\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 12, 13\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
  ].map((text) => head(text));
  for (const parsed of reasons) assert.equal(parsed.kind, 'invalid', JSON.stringify(parsed));
  assert.equal(parseResponseHead(Buffer.alloc(70_000, 65)).kind, 'invalid', 'an endless head is cut off');
});

/** Feeds `wire` in pieces of `size` bytes and returns what was forwarded, the payload, and whether the end was seen. */
function feed(framing: BodyFraming, wire: string, size: number): { forwarded: string; payload: string; ended: boolean; surplus: boolean } {
  let forwarded = '';
  let payload = '';
  let last: BodyStep | null = null;
  for (let at = 0; at < wire.length; at += size) {
    const step = framing.push(Buffer.from(wire.slice(at, at + size), 'latin1'), true);
    if ('error' in step) throw new Error(step.error);
    forwarded += step.forward.toString('latin1');
    payload += (step.payload ?? []).map((b) => b.toString('latin1')).join('');
    last = step;
  }
  return { forwarded, payload, ended: last?.ended ?? false, surplus: (last?.rest.length ?? 0) > 0 };
}

test('a chunked body is passed on with its framing, less the final chunk and trailers, however the reads split it', () => {
  const frames = '5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n';
  const wire = `${frames}0\r\nX-Trailer: 1\r\n\r\n`;
  for (let size = 1; size <= wire.length; size += 1) {
    const result = feed(new BodyFraming('chunked'), wire, size);
    assert.deepEqual(result, { forwarded: frames, payload: 'helloabcdefghijklmnopqrstuvwxyz', ended: true, surplus: false }, `reads of ${size} bytes`);
  }
  const framing = new BodyFraming('chunked');
  feed(framing, '3\r\nabc\r\n', 100);
  assert.equal(framing.atChunkBoundary(), true);
  feed(framing, '3\r\nab', 100);
  assert.equal(framing.atChunkBoundary(), false, 'inside a chunk, nothing of the router may be appended');
  assert.equal(feed(new BodyFraming('chunked'), '0\r\n\r\nHTTP/1.1', 100).surplus, true, 'bytes after the end make the connection unusable');
});

test('a malformed chunked body is an error, never forwarded as if fine', () => {
  for (const wire of ['zz\r\nhello\r\n', '5\r\nhelloXY', `${'1'.repeat(5000)}`]) {
    const step = new BodyFraming('chunked').push(Buffer.from(wire), false);
    assert.ok('error' in step, wire.slice(0, 20));
  }
});

test('a body with a length ends at its length; one without runs until the connection closes', () => {
  assert.deepEqual(feed(new BodyFraming('length', 5), 'helloEXTRA', 3), { forwarded: 'hello', payload: 'hello', ended: true, surplus: true });
  assert.equal(new BodyFraming('length', 0).ended, true);
  assert.deepEqual(feed(new BodyFraming('until-close'), 'abc', 2), { forwarded: 'abc', payload: 'abc', ended: false, surplus: false });
});
