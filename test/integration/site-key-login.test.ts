import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { promisify } from 'node:util';
import { NodeSSH } from 'node-ssh';
import { sha256Fingerprint } from '../../main/identity/index.js';
import { runOutpost } from '../helpers/cli.js';
import { startSshdFleet } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';

// The site SSH key that `outpost keys init` writes is a real OpenSSH key: a real
// sshd accepts it from node-ssh and from `ssh -i`, with the host key pinned.
test('the site key logs in to a real sshd through node-ssh and ssh -i', async (t) => {
  const dataDir = tempDir(t);
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'login-test'])).code, 0);
  const fleet = await startSshdFleet({ count: 1 });
  t.after(() => fleet.stop());
  const host = fleet.hosts[0]!;
  const keyFile = path.join(dataDir, 'keys', 'id_ed25519');
  fs.appendFileSync(host.authorizedKeysPath, fs.readFileSync(`${keyFile}.pub`, 'utf8'));

  const ssh = new NodeSSH();
  await ssh.connect({
    host: host.address,
    port: host.port,
    username: host.user,
    privateKey: fs.readFileSync(keyFile, 'utf8'),
    hostVerifier: (key: Buffer) => sha256Fingerprint(key) === host.hostKeyFingerprint,
    readyTimeout: 10_000,
  });
  t.after(() => ssh.dispose());
  assert.equal((await ssh.execCommand('id -un')).stdout.trim(), host.user);

  const knownHosts = path.join(dataDir, 'known_hosts');
  fs.writeFileSync(knownHosts, `${host.knownHostsLine}\n`);
  const { stdout } = await promisify(execFile)('ssh', [
    '-i',
    keyFile,
    '-p',
    String(host.port),
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    `${host.user}@${host.address}`,
    'id -un',
  ]);
  assert.equal(stdout.trim(), host.user);
});
