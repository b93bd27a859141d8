import assert from 'node:assert/strict';
import test from 'node:test';
import { KeyVault } from '../../identity/adapters/key-vault.js';
import { envelopeFor, pae, signEd25519Pem, verifyEd25519 } from './dsse.js';

test('PAE matches the example in the DSSE specification', () => {
  assert.equal(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('an envelope verifies with its key, and not after its type or payload change', () => {
  // The app's own signing keys (generateKeyPairSync can deadlock Node 20 when its key is exported: see key-vault.ts).
  const { publicKey: raw, privateKey: pem } = new KeyVault('/nonexistent').generate('signing', 'test');
  const payload = Buffer.from('{"a":1}');
  const envelope = envelopeFor('application/x-test', payload, 'k', (m) => signEd25519Pem(pem, m));
  const sig = envelope.signatures[0]?.sig ?? '';
  assert.ok(verifyEd25519(raw, pae('application/x-test', payload), sig));
  assert.ok(!verifyEd25519(raw, pae('application/x-other', payload), sig), 'type is covered');
  assert.ok(!verifyEd25519(raw, pae('application/x-test', Buffer.from('{"a":2}')), sig), 'payload is covered');
  assert.ok(!verifyEd25519(raw, pae('application/x-test', payload), 'AAAA'), 'a malformed signature is a failure, not a crash');
});
