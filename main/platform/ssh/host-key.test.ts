import assert from 'node:assert/strict';
import test from 'node:test';
import { keyTypeOfBlob, matchesPin, presentedHostKey, publicKeyLine } from './host-key.js';

const blob = (type: string, rest = Buffer.from([0, 0, 0, 32, ...new Array<number>(32).fill(7)])): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(type.length);
  return Buffer.concat([length, Buffer.from(type, 'latin1'), rest]);
};

test('the key type is the first string of the blob', () => {
  assert.equal(keyTypeOfBlob(blob('ssh-ed25519')), 'ssh-ed25519');
  assert.equal(keyTypeOfBlob(blob('sk-ecdsa-sha2-nistp256@openssh.com')), 'sk-ecdsa-sha2-nistp256@openssh.com');
  assert.match(publicKeyLine(blob('ssh-ed25519')), /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5/);
});

test('a malformed blob has no key type: too short, a length past its end, empty, too long or not printable', () => {
  assert.equal(keyTypeOfBlob(Buffer.alloc(0)), null);
  assert.equal(keyTypeOfBlob(Buffer.from([0, 0, 0])), null);
  assert.equal(keyTypeOfBlob(Buffer.from([0, 0, 0, 0])), null);
  assert.equal(keyTypeOfBlob(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61])), null, 'a length far past the end');
  assert.equal(keyTypeOfBlob(Buffer.from([0, 0, 0, 12, 0x73, 0x73, 0x68])), null, 'a length just past the end');
  assert.equal(keyTypeOfBlob(blob('x'.repeat(65))), null);
  assert.equal(keyTypeOfBlob(blob('ssh ed25519')), null);
  assert.equal(keyTypeOfBlob(blob('ssh-\u0000ed')), null);
  assert.equal(presentedHostKey(Buffer.from([0, 0, 0, 9, 1])), null);
});

test('a presented key matches its pin only on both type and fingerprint', () => {
  const presented = presentedHostKey(blob('ssh-ed25519'));
  assert.ok(presented);
  assert.match(presented.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(matchesPin(presented, { ...presented }), true);
  assert.equal(matchesPin(presented, { ...presented, keyType: 'ssh-rsa' }), false);
  assert.equal(matchesPin(presented, { ...presented, fingerprint: 'SHA256:other' }), false);
});
