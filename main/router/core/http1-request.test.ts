import assert from 'node:assert/strict';
import test from 'node:test';
import { MAX_REQUEST_HEAD_BYTES, parseRequestHead, type RequestHead } from './http1-request.js';

const parse = (wire: string) => parseRequestHead(Buffer.from(wire, 'latin1'));

function head(wire: string): { head: RequestHead; consumed: number } {
  const result = parse(wire);
  assert.equal(result.kind, 'head', `expected a head from ${JSON.stringify(wire.slice(0, 80))}: ${JSON.stringify(result)}`);
  return result;
}

function refused(wire: string): { status: number; code: string; message: string } {
  const result = parse(wire);
  assert.equal(result.kind, 'invalid', `expected ${JSON.stringify(wire.slice(0, 80))} to be refused`);
  return (result as { error: { status: number; code: string; message: string } }).error;
}

test('a request head: method, target, path, version, headers by lower-case name, framing and keep-alive', () => {
  const wire = 'POST /v1/chat/completions?trace=1 HTTP/1.1\r\nHost: router\r\nAuthorization: Bearer abc\r\nContent-Length: 12\r\nX-Tag: a\r\nx-tag: b\r\n\r\n{"model":1}X';
  const { head: parsed, consumed } = head(wire);
  assert.equal(parsed.method, 'POST');
  assert.equal(parsed.target, '/v1/chat/completions?trace=1');
  assert.equal(parsed.path, '/v1/chat/completions');
  assert.equal(parsed.minorVersion, 1);
  assert.equal(parsed.headers.get('authorization'), 'Bearer abc');
  assert.equal(parsed.headers.get('x-tag'), 'a, b', 'a repeated field is one comma-joined value');
  assert.deepEqual(parsed.body, { kind: 'length', length: 12 });
  assert.equal(parsed.keepAlive, true);
  assert.equal(consumed, wire.indexOf('{'), 'consumed ends where the body begins');

  assert.equal(head('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').head.keepAlive, false);
  assert.equal(head('GET / HTTP/1.0\r\n\r\n').head.keepAlive, false, 'HTTP/1.0 closes unless asked');
  assert.equal(head('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').head.keepAlive, true);
  assert.deepEqual(head('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n').head.body, { kind: 'chunked' });
  assert.deepEqual(head('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n').head.body, { kind: 'none' });
  assert.equal(head('\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').head.path, '/healthz', 'empty lines before the request line are skipped');
  assert.equal(head('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n').head.expectContinue, true);
});

test('an unfinished head is incomplete until its blank line, and refused once it is over the size limit', () => {
  assert.equal(parse('POST /v1/completions HTTP/1.1\r\nHost: x\r\n').kind, 'incomplete');
  assert.equal(parse('').kind, 'incomplete');
  const huge = `GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(MAX_REQUEST_HEAD_BYTES)}`;
  assert.equal(refused(huge).status, 431, 'a head that never ends cannot grow past the limit');
  assert.equal(refused(`${huge}\r\n\r\n`).status, 431);
  assert.equal(refused('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03').code, 'malformed_request_line', 'a TLS hello is refused at its first byte, not at the timeout');
  assert.equal(refused('GET /x HTTP/1.1 junk\r\nHost').code, 'malformed_request_line', 'a whole request line that is wrong is refused before the headers end');
  assert.equal(parse('PO').kind, 'incomplete');
  const many = `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`;
  assert.equal(refused(many).code, 'too_many_headers');
});

test('smuggling shapes and malformed heads are refused with a status that says which', () => {
  const cases: Array<[string, number, string]> = [
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'ambiguous_length'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 400, 'duplicate_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', 400, 'duplicate_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n', 400, 'invalid_content_length'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n', 400, 'invalid_content_length'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n', 400, 'invalid_content_length'],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501, 'unsupported_transfer_encoding'],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n', 501, 'unsupported_transfer_encoding'],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'invalid_transfer_encoding'],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n', 400, 'malformed_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n', 400, 'malformed_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\rTransfer-Encoding: chunked\r\n\r\n', 400, 'malformed_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\nContent-Length: 9\r\n\r\n', 400, 'malformed_header'],
    ['POST / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n', 400, 'duplicate_header'],
    ['GET / HTTP/1.1\r\n\r\n', 400, 'missing_host'],
    ['GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request_line'],
    ['GET / HTTP/1.1 \r\nHost: x\r\n\r\n', 400, 'malformed_request_line'],
    ['GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request_line'],
    ['G@T / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request_line'],
    ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', 400, 'malformed_request_line'],
    ['GET / HTTP/1.2\r\nHost: x\r\n\r\n', 505, 'http_version_not_supported'],
    ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400, 'malformed_request_line'],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 200-ok\r\n\r\n', 417, 'expectation_failed'],
  ];
  for (const [wire, status, code] of cases) {
    const error = refused(wire);
    assert.deepEqual([error.status, error.code], [status, code], JSON.stringify(wire));
    assert.ok(error.message.length > 10, 'the message says what was wrong');
  }
});
