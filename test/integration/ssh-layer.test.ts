import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SiteRepository } from '../../main/discovery/index.js';
import { openDatabase, type Db } from '../../main/platform/store/index.js';
import { connectTcp, PinnedSsh, SshSession, type SshEndpoint } from '../../main/platform/ssh/index.js';
import { PinnedHosts } from '../../main/workers/index.js';
import { sshdFleetUnavailableReason, startSshdFleet, type SshdFleet, type SshdHost } from '../helpers/sshd.js';
import { bareInventory } from '../helpers/inventory.js';
import { until } from '../helpers/workers.js';

const unavailable = await sshdFleetUnavailableReason(60);
if (unavailable && (process.env.OUTPOST_REQUIRE_SSHD === '1' || (process.env.CI ?? 'false') !== 'false')) {
  throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);
}

const MiB = 2 ** 20;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('the SSH layer against real sshd', { skip: unavailable ?? false }, () => {
  let fleet: SshdFleet;
  let db: Db;
  let site: SiteRepository;
  let ssh: PinnedSsh;
  let dir: string;
  const endpointOf = (host: SshdHost): SshEndpoint => ({
    node: host.address,
    address: host.address,
    port: host.port,
    user: host.user,
    privateKey: readFileSync(host.clientKeyPath),
    pin: { keyType: 'ssh-ed25519', fingerprint: host.hostKeyFingerprint },
  });
  /** A folder the login user owns on the host (the host is this machine, so the test reads it directly). */
  const remoteDir = async (session: SshSession): Promise<string> => (await session.exec('mktemp -d', { timeoutMs: 10_000 })).stdout.toString().trim();

  before(async () => {
    fleet = await startSshdFleet({ count: 2, firstAddress: 60 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-ssh-layer-'));
    db = openDatabase(path.join(dir, 'outpost.db'));
    site = new SiteRepository(db);
    site.startScan('scan-1', 'fleet', '2026-11-25T00:00:00.000Z');
    fleet.hosts.forEach((host, i) =>
      site.saveInventory({
        scanId: 'scan-1',
        address: host.address,
        port: host.port,
        hostKey: { keyType: 'ssh-ed25519', fingerprint: host.hostKeyFingerprint },
        login: { user: host.user, keyPath: host.clientKeyPath },
        inventory: bareInventory(`node-${i}`),
        at: '2026-11-25T00:00:00.000Z',
      }),
    );
    ssh = new PinnedSsh({ pins: site, nodes: site, readPrivateKey: (keyPath) => readFileSync(keyPath as string), now: () => new Date('2026-11-25T01:00:00.000Z') });
  });
  after(async () => {
    db?.close();
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an upload is pipelined, hashed as it streams and lands whole; a partial copy is resumed from where it stopped', async () => {
    const session = await ssh.open(endpointOf(fleet.hosts[0]!), { timeoutMs: 10_000 });
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'model.bin');
      const bytes = randomBytes(24 * MiB + 12_345);
      writeFileSync(local, bytes);
      const progress: number[] = [];
      const whole = await session.upload(local, `${where}/whole.bin`, { onProgress: (done, total) => progress.push(done / total) });
      assert.deepEqual({ resumedFrom: whole.resumedFrom, bytes: whole.bytes, sha256: whole.sha256 }, { resumedFrom: 0, bytes: bytes.length, sha256: sha256(bytes) });
      assert.equal(sha256(readFileSync(`${where}/whole.bin`)), sha256(bytes));
      assert.equal(progress.at(-1), 1);
      assert.ok(
        progress.every((p, i) => i === 0 || p >= (progress[i - 1] as number)),
        'progress only grows',
      );

      writeFileSync(`${where}/resumed.bin.partial`, bytes.subarray(0, 10 * MiB + 7));
      chownSync(`${where}/resumed.bin.partial`, statSync(where).uid, statSync(where).gid);
      const resumed = await session.upload(local, `${where}/resumed.bin`);
      assert.equal(resumed.resumedFrom, 10 * MiB + 7);
      assert.equal(resumed.sha256, sha256(bytes), 'the digest covers the whole file, the resumed prefix included');
      assert.equal(sha256(readFileSync(`${where}/resumed.bin`)), sha256(bytes));
    } finally {
      session.close();
    }
  });

  test('a cancelled upload stops, leaves a true prefix as .partial, and the next copy resumes it', async () => {
    const session = await ssh.open(endpointOf(fleet.hosts[0]!), { timeoutMs: 10_000 });
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'big.bin');
      const bytes = randomBytes(64 * MiB);
      writeFileSync(local, bytes);
      const controller = new AbortController();
      await assert.rejects(session.upload(local, `${where}/big.bin`, { signal: controller.signal, onProgress: (done) => done >= 4 * MiB && controller.abort() }), { name: 'AbortError' });
      const partial = readFileSync(`${where}/big.bin.partial`);
      assert.ok(partial.length >= 4 * MiB && partial.length < bytes.length, `a partial copy of ${partial.length} bytes`);
      assert.ok(partial.equals(bytes.subarray(0, partial.length)), 'the partial file is a prefix of the source');
      const resumed = await session.upload(local, `${where}/big.bin`);
      assert.equal(resumed.resumedFrom, partial.length);
      assert.equal(sha256(readFileSync(`${where}/big.bin`)), sha256(bytes));
    } finally {
      session.close();
    }
  });

  test('a copy whose link drops mid-way leaves a true prefix, and the next copy checks its digest and resumes it', { timeout: 120_000 }, async () => {
    const host = fleet.hosts[0]!;
    const socket = await connectTcp(host.address, host.port, 10_000);
    const dropped = await SshSession.open({ ...endpointOf(host), socket, timeoutMs: 10_000 });
    const session = await ssh.open(endpointOf(host), { timeoutMs: 10_000 });
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'dropped.bin');
      const bytes = randomBytes(96 * MiB);
      writeFileSync(local, bytes);
      // The link goes as a cable pulled would: the TCP connection is gone, no SSH goodbye.
      await assert.rejects(dropped.upload(local, `${where}/dropped.bin`, { onProgress: (done) => done >= 16 * MiB && socket.destroy() }));
      const partial = await until('the host to finish the writes it received', async () => {
        const size = statSync(`${where}/dropped.bin.partial`).size;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return statSync(`${where}/dropped.bin.partial`).size === size ? readFileSync(`${where}/dropped.bin.partial`) : null;
      });
      assert.ok(partial.length >= 16 * MiB && partial.length < bytes.length, `a partial copy of ${partial.length} bytes`);
      assert.ok(partial.equals(bytes.subarray(0, partial.length)), 'what the host wrote is a prefix of the file');
      const starts: number[] = [];
      const resumed = await session.upload(local, `${where}/dropped.bin`, { onStart: (from) => starts.push(from) });
      assert.deepEqual({ resumedFrom: resumed.resumedFrom, discarded: resumed.discardedPartial, starts }, { resumedFrom: partial.length, discarded: 0, starts: [partial.length] });
      assert.equal(resumed.sha256, sha256(bytes));
      assert.equal(sha256(readFileSync(`${where}/dropped.bin`)), sha256(bytes));
    } finally {
      dropped.close();
      session.close();
    }
  });

  test('a partial copy damaged since is found by its digest before resuming, and copied afresh', async () => {
    const session = await ssh.open(endpointOf(fleet.hosts[0]!), { timeoutMs: 10_000 });
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'damaged.bin');
      const bytes = randomBytes(24 * MiB);
      writeFileSync(local, bytes);
      const damaged = Buffer.from(bytes.subarray(0, 10 * MiB));
      damaged[5 * MiB] = (damaged[5 * MiB] as number) ^ 0xff;
      writeFileSync(`${where}/damaged.bin.partial`, damaged);
      chownSync(`${where}/damaged.bin.partial`, statSync(where).uid, statSync(where).gid);
      const copied = await session.upload(local, `${where}/damaged.bin`);
      assert.deepEqual({ resumedFrom: copied.resumedFrom, discarded: copied.discardedPartial }, { resumedFrom: 0, discarded: 10 * MiB });
      assert.equal(sha256(readFileSync(`${where}/damaged.bin`)), sha256(bytes));

      // A partial longer than the file cannot be its prefix either.
      writeFileSync(`${where}/long.bin.partial`, Buffer.concat([bytes, Buffer.from('tail')]));
      chownSync(`${where}/long.bin.partial`, statSync(where).uid, statSync(where).gid);
      const long = await session.upload(local, `${where}/long.bin`);
      assert.deepEqual({ resumedFrom: long.resumedFrom, discarded: long.discardedPartial }, { resumedFrom: 0, discarded: bytes.length + 4 });
      assert.equal(sha256(readFileSync(`${where}/long.bin`)), sha256(bytes));
    } finally {
      session.close();
    }
  });

  test('a followed command and what it started end as soon as the channel closes, not at its next write; one that ends by itself keeps its status', async () => {
    const session = await ssh.open(endpointOf(fleet.hosts[0]!), { timeoutMs: 10_000 });
    try {
      // A sampler-like loop that writes once every 30 s: without the wrapper it would outlive the channel by that long.
      const lines: string[] = [];
      const followed = await session.follow(
        'while :; do echo "group $(ps -o pgid= $$)"; sleep 30; done',
        (line) => lines.push(line),
        () => undefined,
      );
      const group = Number((await until('the first line', () => lines[0]))?.replace('group', '').trim());
      assert.ok(group > 1, `a process group id, not ${lines[0]}`);
      assert.ok(inGroup(group).length >= 2, 'the loop and its sleep run');
      const closedAt = Date.now();
      followed.close();
      await until('every process of the followed command gone', () => inGroup(group).length === 0, 5_000);
      assert.ok(Date.now() - closedAt < 5_000);

      const ended = new Promise<string>((resolve) => void session.follow('echo last; exit 3', () => undefined, resolve));
      assert.match(await ended, /exited with status 3/);
    } finally {
      session.close();
    }
  });

  test('a local port-forward carries bytes both ways to a port seen from the host', async () => {
    const echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const session = await ssh.open(endpointOf(fleet.hosts[0]!), { timeoutMs: 10_000 });
    const forward = await session.forwardLocal('127.0.0.1', (echo.address() as net.AddressInfo).port);
    try {
      const payload = randomBytes(3 * MiB);
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const socket = net.connect(forward.localPort, '127.0.0.1', () => socket.write(payload));
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= payload.length) {
            socket.end();
            resolve(Buffer.concat(chunks));
          }
        });
        socket.on('error', reject);
      });
      assert.ok(echoed.equals(payload));
    } finally {
      await forward.close();
      session.close();
      echo.close();
    }
  });

  test('the workers meet a changed host key as every capability does: recorded as offered, one CONFLICT, nothing sent', async () => {
    const host = fleet.hosts[1]!;
    const name = 'node-1';
    const endpoints = new Map([[name, { ...ssh.resolve(name, { user: host.user, privateKey: readFileSync(host.clientKeyPath) }), ssh }]]);
    const before = new PinnedHosts(endpoints);
    assert.equal((await before.check(name, 'echo ok', 'saying ok')).trim(), 'ok');
    assert.equal(await before.hostKeyLine(name), host.knownHostsLine.split(' ').slice(0, 3).join(' '));
    before.close();

    const { hostKeyFingerprint } = await host.replaceHostKey();
    const logins = host.logs().split('Accepted publickey').length;
    const conflict = { code: 'CONFLICT', message: new RegExp(`${name}'s host key changed: .*${hostKeyFingerprint.replace(/[+/]/g, '\\$&')}.*nothing was run on it`), hint: new RegExp(`outpost hostkey accept ${name}`) };
    const after = new PinnedHosts(endpoints);
    await assert.rejects(after.run(name, 'true'), conflict);
    await assert.rejects(after.hostKeyLine(name), conflict);
    const local = path.join(dir, 'small.bin');
    writeFileSync(local, 'weights');
    await assert.rejects(after.upload(name, local, '/tmp/never.bin', {}), conflict);
    assert.equal(statSync(local).size, 7);
    assert.equal(host.logs().split('Accepted publickey').length, logins, 'no credential was offered to the changed host');
    assert.equal(site.nodes().find((n) => n.name === name)?.hostKey?.offered?.fingerprint, hostKeyFingerprint, 'the key waits for `outpost hostkey accept`');
    assert.throws(() => ssh.resolve(name, { user: host.user, privateKey: Buffer.alloc(0) }), { code: 'CONFLICT', hint: new RegExp(`outpost hostkey accept ${name}`) });
  });
});

/** Live processes of one process group (the hosts are this machine's loopback, so /proc shows them). */
function inGroup(group: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // The fields after the command's closing parenthesis: state, ppid, pgrp, …
        const afterName = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ').at(-1) ?? '';
        const [state, , pgrp] = afterName.split(' ');
        return Number(pgrp) === group && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}
