import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { sshPublicKeyFingerprint } from './fingerprint.js';
import { defaultSiteId } from './site-id.js';
import { SITE_ID_PATTERN } from '../../../shared/domain/identity.js';

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

test('default site ids are valid whatever the host name', () => {
  for (const host of ['Workstation.local', '', '---', 'ÜBER_host', 'a'.repeat(200), 'x']) {
    const id = defaultSiteId(host, 'ab12');
    assert.match(id, SITE_ID_PATTERN, `${host} -> ${id}`);
  }
  assert.equal(defaultSiteId('Lab-PC.example', 'ab12'), 'lab-pc-example-ab12');
});
