import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { sshPublicKeyFingerprint } from './fingerprint.js';

test('SSH fingerprints match what ssh-keygen -l prints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-fp-'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'probe', '-f', path.join(dir, 'k')]);
    const line = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8');
    const printed = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(sshPublicKeyFingerprint(line), printed);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a line that is not a public key is refused with a specific error', () => {
  assert.throws(() => sshPublicKeyFingerprint('hello'), { code: 'INVALID_INPUT', message: /not an OpenSSH public key line/ });
});
