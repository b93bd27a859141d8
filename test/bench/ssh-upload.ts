/**
 * Upload throughput: Outpost's SSH layer (pipelined SFTP) against OpenSSH's `scp`
 * (SFTP protocol since OpenSSH 9) copying the same file to the same loopback sshd.
 * Run as root after `npm run build:main`: node dist/test/bench/ssh-upload.js [MiB] (default 1024).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { SshSession } from '../../main/platform/ssh/index.js';
import { startSshdFleet } from '../helpers/sshd.js';

const MiB = 2 ** 20;
const sizeMiB = Number(process.argv[2] ?? 1024);
const fleet = await startSshdFleet({ count: 1, firstAddress: 70 });
const host = fleet.hosts[0]!;
const dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-ssh-bench-'));
try {
  const local = path.join(dir, 'payload.bin');
  const file = await open(local, 'w');
  const block = randomBytes(16 * MiB);
  for (let written = 0; written < sizeMiB * MiB; written += block.length) await file.write(block, 0, Math.min(block.length, sizeMiB * MiB - written));
  await file.close();
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${host.knownHostsLine}\n`);

  const session = await SshSession.open({ address: host.address, port: host.port, user: host.user, privateKey: readFileSync(host.clientKeyPath), pin: { keyType: 'ssh-ed25519', fingerprint: host.hostKeyFingerprint }, timeoutMs: 10_000 });
  const where = (await session.exec('mktemp -d', { timeoutMs: 10_000 })).stdout.toString().trim();
  const rate = (ms: number): string => `${((sizeMiB * 1000) / ms).toFixed(0)} MiB/s`;
  const results: Record<string, string[]> = { outpost: [], scp: [] };
  for (let round = 0; round < 2; round++) {
    let t0 = performance.now();
    await session.upload(local, `${where}/outpost-${round}.bin`);
    results.outpost!.push(rate(performance.now() - t0));
    t0 = performance.now();
    execFileSync('scp', ['-q', '-P', String(host.port), '-i', host.clientKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes', local, `${host.user}@${host.address}:${where}/scp-${round}.bin`]);
    results.scp!.push(rate(performance.now() - t0));
    await session.exec(`rm -f ${where}/*.bin`, { timeoutMs: 30_000 });
  }
  session.close();
  console.log(
    `${sizeMiB} MiB to ${host.address}:${host.port} (load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );
  for (const [tool, runs] of Object.entries(results)) console.log(`${tool.padEnd(8)} ${runs.join('  ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await fleet.stop();
}
