import assert from 'node:assert/strict';
import test from 'node:test';
import { sshPublicKeyFor } from './authorized-keys.js';

const BLOB = 'AAAAC3NzaC1lZDI1NTE5AAAAIHxm0fJ8mQXy7wUqHqzLrv0q0a1lS1jX7y0wVv1bq3qk';
const FINGERPRINT = 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

test('the authorized_keys line restricts the key to commands, file copy and port-forwards, and names the site', () => {
  const key = sshPublicKeyFor(`ssh-ed25519 ${BLOB} outpost@old-name`, FINGERPRINT, 'st-marys');
  assert.equal(key.authorizedKeysLine, `restrict,port-forwarding ssh-ed25519 ${BLOB} outpost@st-marys`);
  assert.equal(key.publicKey, `ssh-ed25519 ${BLOB} outpost@st-marys`);
  assert.equal(key.comment, 'outpost@st-marys');
  assert.equal(key.fingerprint, FINGERPRINT);
  assert.doesNotMatch(key.authorizedKeysLine, /\n/, 'one line, whatever the stored key ended with');
});

test('a key line without a comment or with surrounding whitespace gives the same line; a broken one is refused', () => {
  assert.equal(sshPublicKeyFor(`  ssh-ed25519   ${BLOB}\n`, FINGERPRINT, 'site-a').authorizedKeysLine, `restrict,port-forwarding ssh-ed25519 ${BLOB} outpost@site-a`);
  assert.throws(() => sshPublicKeyFor('ssh-ed25519', FINGERPRINT, 'site-a'), /an OpenSSH public key line/);
});
