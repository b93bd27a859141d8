import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { generateSshKeyPair } from '../adapters/key-vault.js';
import { encodeEd25519KeyPair } from './openssh-key.js';

test('a public key that starts with zero bytes keeps all 32 (ssh2 and OpenSSH load it, and derive the same public line)', () => {
  const seed = Buffer.alloc(32, 7);
  const publicKey = Buffer.concat([Buffer.alloc(2), Buffer.alloc(30, 9)]);
  const pair = encodeEd25519KeyPair(seed, publicKey, 'edge', 0x01020304);
  const parsed = ssh2.utils.parseKey(pair.private);
  if (parsed instanceof Error) assert.fail(parsed.message);
  assert.equal(parsed.getPublicSSH().subarray(-32).toString('hex'), publicKey.toString('hex'));
  assert.match(pair.public, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\S+ edge$/, 'a 32-byte key in the blob');
});

test('generated keys load in ssh2 and in OpenSSH (ssh-keygen -y gives back the public line), hundreds of them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-sshkey-'));
  try {
    for (let i = 0; i < 400; i += 1) {
      const pair = generateSshKeyPair(`key-${i}`);
      const parsed = ssh2.utils.parseKey(pair.private);
      if (parsed instanceof Error) assert.fail(`ssh2 refused key ${i}: ${parsed.message}`);
      if (i % 20 !== 0) continue; // ssh-keygen is a process start: a sample of them
      const file = path.join(dir, `k${i}`);
      fs.writeFileSync(file, pair.private, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
      assert.equal(derived, pair.public.split(' ').slice(0, 2).join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
