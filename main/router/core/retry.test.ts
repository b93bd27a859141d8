import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countsAgainstBreaker, isStaleConnection, mayRetry, STALE_CONNECTION_CODE } from './retry.js';

test('only a connection the endpoint closed before answering earns a redo on the same endpoint', () => {
  assert.equal(isStaleConnection({ kind: 'connect', detail: `${STALE_CONNECTION_CODE} a reused keep-alive connection was closed before an answer` }), true);
  assert.equal(isStaleConnection({ kind: 'connect', detail: 'ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9' }), false, 'a refused connection means the endpoint is down');
  assert.equal(isStaleConnection({ kind: 'broken-before-first-byte', detail: `${STALE_CONNECTION_CODE} a reused keep-alive connection was closed before an answer` }), false, 'it had answered with a status');
  assert.equal(isStaleConnection({ kind: 'first-byte-timeout', detail: 'no first byte within 100 ms' }), false);
});

test('retries stop when the budget is spent or the client is gone; 429 does not count against the breaker', () => {
  assert.equal(mayRetry(2, 2, true), true);
  assert.equal(mayRetry(3, 2, true), false);
  assert.equal(mayRetry(1, 2, false), false);
  assert.equal(countsAgainstBreaker({ kind: 'status', detail: 'HTTP 429' }, 429), false);
  assert.equal(countsAgainstBreaker({ kind: 'status', detail: 'HTTP 500' }, 500), true);
});
