import assert from 'node:assert/strict';
import test from 'node:test';
import { CircuitBreaker } from './breaker.js';

const settings = { failures: 3, cooldownMs: 1000, maxCooldownMs: 4000 };

test('the breaker opens after consecutive failures, lets one trial through after the cool-down, and closes on its success', () => {
  const b = new CircuitBreaker(settings);
  b.recordFailure(0);
  b.recordSuccess();
  b.recordFailure(1);
  b.recordFailure(2);
  assert.equal(b.state(2), 'closed', 'a success in between resets the count');
  b.recordFailure(3);
  assert.equal(b.state(3), 'open');
  assert.equal(b.tryAcquire(500), false);
  assert.equal(b.state(1003), 'half-open');
  assert.equal(b.tryAcquire(1003), true, 'one trial');
  assert.equal(b.tryAcquire(1004), false, 'only one trial at a time');
  assert.equal(b.allows(1004), false);
  b.recordSuccess();
  assert.equal(b.state(1005), 'closed');
  assert.equal(b.tryAcquire(1005), true);
});

test('a failed trial re-opens with a doubled cool-down, capped; a trial the client abandoned is given back', () => {
  const b = new CircuitBreaker(settings);
  [0, 0, 0].forEach((t) => b.recordFailure(t));
  assert.equal(b.tryAcquire(1000), true);
  b.recordFailure(1000);
  assert.equal(b.state(2999), 'open', 'cool-down is now 2000 ms');
  assert.equal(b.state(3000), 'half-open');
  b.tryAcquire(3000);
  b.recordFailure(3000);
  b.tryAcquire(7000);
  b.recordFailure(7000);
  assert.equal(b.state(10_999), 'open');
  assert.equal(b.state(11_000), 'half-open', 'capped at 4000 ms');
  assert.equal(b.tryAcquire(11_000), true);
  b.releaseTrial();
  assert.equal(b.tryAcquire(11_001), true, 'the abandoned trial is available again');
});
