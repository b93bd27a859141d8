import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKeyRing, formatApiKey, hashApiKey, type ApiKeyRecord } from './api-keys.js';

const secret = 'S3cretS3cretS3cretS3cretS3cretS3cretS3c';
const key = formatApiKey('abcd1234', secret);
const record: ApiKeyRecord = { id: 'abcd1234', app: 'triage', hash: hashApiKey(key), models: null };

test('a presented key is accepted on its first and every later use, and only that exact key', () => {
  const ring = new ApiKeyRing([record]);
  assert.equal(ring.verify(key), record, 'first use: checked against the stored hash');
  assert.equal(ring.verify(key), record, 'later use: checked against the remembered key');
  const wrongSecret = formatApiKey('abcd1234', `${secret.slice(0, -1)}x`);
  assert.equal(ring.verify(wrongSecret), null, 'same id, another secret of the same length');
  assert.equal(ring.verify(`${key}x`), null, 'same id, longer secret');
  assert.equal(ring.verify(formatApiKey('zzzz9999', secret)), null, 'an id that is not configured');
  assert.equal(ring.verify('not-a-key'), null);
});

test('a wrong key tried first does not stop the right one, and nothing is remembered across key sets', () => {
  const ring = new ApiKeyRing([record]);
  assert.equal(ring.verify(formatApiKey('abcd1234', `${secret.slice(0, -1)}x`)), null);
  assert.equal(ring.verify(key), record);
  // A reload builds a new ring: a key revoked there is refused although the old ring had accepted it.
  assert.equal(new ApiKeyRing([]).verify(key), null);
  const rotated = new ApiKeyRing([{ ...record, hash: hashApiKey(formatApiKey('abcd1234', 'another-secret-of-enough-length')) }]);
  assert.equal(rotated.verify(key), null, 'the same id with a new hash refuses the old key');
});
