import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { snapshot, tempDir } from '../../test/helpers/temp.js';
import { openDatabase } from '../platform/store/index.js';
import { IdentityRepository } from './adapters/identity-repository.js';
import { KeyVault } from './adapters/key-vault.js';
import { canonicalRotationText } from '../../shared/domain/key-rotation.js';
import { IdentityService } from './service.js';

function setup(t: TestContext) {
  const dir = tempDir(t);
  const db = openDatabase(path.join(dir, 'outpost.db'));
  t.after(() => db.close());
  let clock = Date.parse('2026-11-25T08:00:00Z');
  const keysDir = path.join(dir, 'keys');
  const service = new IdentityService({
    repository: new IdentityRepository(db),
    vault: new KeyVault(keysDir),
    now: () => new Date((clock += 60_000)),
    hostname: () => 'Radiology-WS',
    randomSuffix: () => 'a1b2c3',
  });
  return { dir, db, keysDir, service };
}

function rawEd25519PublicKey(base64: string) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') }, format: 'jwk' });
}

test('init creates both keys as 0600 files and public keys in the store', (t) => {
  const { keysDir, service, db } = setup(t);
  const identity = service.init({ role: 'site', force: false });
  assert.equal(identity.siteId, 'radiology-ws-a1b2c3');
  assert.match(identity.signingKey.fingerprint, /^SHA256:/);
  for (const file of ['signing-ed25519.pem', 'id_ed25519']) {
    assert.equal(fs.statSync(path.join(keysDir, file)).mode & 0o777, 0o600, file);
  }
  assert.equal(fs.statSync(keysDir).mode & 0o777, 0o700);
  // No private key material in the database, in any table.
  const dump = JSON.stringify(db.prepare('SELECT * FROM key_history').all()) + JSON.stringify(db.prepare('SELECT * FROM site_identity').all());
  assert.doesNotMatch(dump, /PRIVATE KEY/);
});

test('the SSH key is a real OpenSSH key: ssh-keygen derives the same public key and fingerprint', (t) => {
  const { keysDir, service } = setup(t);
  const identity = service.init({ siteId: 'plant-7', role: 'site', force: false });
  const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(keysDir, 'id_ed25519')], { encoding: 'utf8' }).trim();
  assert.equal(derived.split(' ').slice(0, 2).join(' '), identity.sshKey.publicKey.split(' ').slice(0, 2).join(' '));
  const printed = execFileSync('ssh-keygen', ['-l', '-f', path.join(keysDir, 'id_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1];
  assert.equal(identity.sshKey.fingerprint, printed);
});

test('init twice is refused without --force and changes nothing', (t) => {
  const { dir, service } = setup(t);
  const first = service.init({ siteId: 'plant-7', role: 'site', force: false });
  const keysBefore = snapshot(path.join(dir, 'keys'));
  assert.throws(() => service.init({ siteId: 'other-site', role: 'hq', force: false }), {
    code: 'CONFLICT',
    message: /site plant-7 already has an identity; nothing was overwritten/,
  });
  assert.deepEqual(snapshot(path.join(dir, 'keys')), keysBefore);
  assert.deepEqual(service.show(), first);
});

test('init --force starts a new identity and keeps the old keys in the history as retired', (t) => {
  const { service } = setup(t);
  const first = service.init({ siteId: 'plant-7', role: 'site', force: false });
  const second = service.init({ siteId: 'plant-8', role: 'hq', force: true });
  assert.equal(second.siteId, 'plant-8');
  assert.notEqual(second.signingKey.fingerprint, first.signingKey.fingerprint);
  const retired = second.history.filter((k) => k.retiredAt !== null).map((k) => k.fingerprint);
  assert.deepEqual(retired.sort(), [first.signingKey.fingerprint, first.sshKey.fingerprint].sort());
});

test('rotate signs the new key with the old one, so a peer can follow the chain', (t) => {
  const { service } = setup(t);
  const before = service.init({ siteId: 'plant-7', role: 'site', force: false });
  const after = service.rotate({ keys: ['signing'] });
  assert.notEqual(after.signingKey.fingerprint, before.signingKey.fingerprint);
  assert.equal(after.sshKey.fingerprint, before.sshKey.fingerprint, 'the SSH key is untouched');
  const entry = after.history.find((k) => k.fingerprint === after.signingKey.fingerprint);
  assert.ok(entry?.rotationSignature);
  const statement = canonicalRotationText({
    type: 'outpost.key-rotation/v1',
    siteId: 'plant-7',
    kind: 'signing',
    previousFingerprint: before.signingKey.fingerprint,
    nextPublicKey: after.signingKey.publicKey,
    nextFingerprint: after.signingKey.fingerprint,
    at: entry.createdAt,
  });
  assert.ok(verify(null, Buffer.from(statement, 'utf8'), rawEd25519PublicKey(before.signingKey.publicKey), Buffer.from(entry.rotationSignature, 'base64')));
  assert.ok(!verify(null, Buffer.from(statement, 'utf8'), rawEd25519PublicKey(after.signingKey.publicKey), Buffer.from(entry.rotationSignature, 'base64')));
  const old = after.history.find((k) => k.fingerprint === before.signingKey.fingerprint);
  assert.ok(old?.retiredAt, 'the old public key stays, marked retired');
});

test('show and rotate before init say what to do', (t) => {
  const { service } = setup(t);
  assert.throws(() => service.show(), { code: 'PRECONDITION', hint: /outpost keys init/ });
  assert.throws(() => service.rotate({ keys: ['signing'] }), { code: 'PRECONDITION' });
});

test('a failed store write leaves the live key files untouched and no staged files behind', (t) => {
  const { dir, db, service } = setup(t);
  service.init({ siteId: 'plant-7', role: 'site', force: false });
  const keysBefore = snapshot(path.join(dir, 'keys'));
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON key_history BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
  assert.throws(() => service.rotate({ keys: ['signing', 'ssh'] }), /disk full/);
  assert.deepEqual(snapshot(path.join(dir, 'keys')), keysBefore);
  assert.equal(service.show().history.length, 2);
});
