import assert from 'node:assert/strict';
import test from 'node:test';
import { envInteger } from './env-settings.js';

test('an environment setting: its default when unset or empty, the value when in range, a named refusal otherwise', () => {
  const range = { min: 100, max: 60_000 };
  assert.equal(envInteger('OUTPOST_X_MS', 2000, range, {}), 2000);
  assert.equal(envInteger('OUTPOST_X_MS', 2000, range, { OUTPOST_X_MS: '' }), 2000);
  assert.equal(envInteger('OUTPOST_X_MS', 2000, range, { OUTPOST_X_MS: '250' }), 250);
  for (const bad of ['2s', '-5', '1e3', '99', '60001', ' 250', '0x10']) {
    assert.throws(
      () => envInteger('OUTPOST_X_MS', 2000, range, { OUTPOST_X_MS: bad }),
      (error: Error & { code?: string }) => error.code === 'INVALID_INPUT' && error.message.startsWith('OUTPOST_X_MS=') && error.message.includes('from 100 to 60000'),
      bad,
    );
  }
});
