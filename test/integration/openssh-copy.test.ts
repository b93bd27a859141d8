import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OPENSSH_MIN_BYTES, openSshSftp, SshSession } from '../../main/platform/ssh/index.js';
import { sshdFleetUnavailableReason, startSshdFleet, type SshdFleet, type SshdHost } from '../helpers/sshd.js';
import { until } from '../helpers/workers.js';

const unavailable = (await sshdFleetUnavailableReason(60)) ?? (openSshSftp() ? null : 'no OpenSSH sftp on the PATH');
const MiB = 2 ** 20;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe("the model copy through OpenSSH's sftp against real sshd", { skip: unavailable ?? false }, () => {
  let fleet: SshdFleet;
  let host: SshdHost;
  let dir: string;
  const open = (): Promise<SshSession> => SshSession.open({ address: host.address, port: host.port, user: host.user, privateKey: readFileSync(host.clientKeyPath), pin: { keyType: 'ssh-ed25519', fingerprint: host.hostKeyFingerprint }, timeoutMs: 10_000 });
  const remoteDir = async (session: SshSession): Promise<string> => (await session.exec('mktemp -d', { timeoutMs: 10_000 })).stdout.toString().trim();
  const ownedByLogin = (file: string, where: string): void => chownSync(file, statSync(where).uid, statSync(where).gid);
  /** The host may still be writing what it received when the child was stopped. */
  const settled = (file: string): Promise<Buffer> =>
    until('the host to finish the writes it received', async () => {
      const size = statSync(file).size;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return statSync(file).size === size ? readFileSync(file) : null;
    });

  before(async () => {
    fleet = await startSshdFleet({ count: 1, firstAddress: 64 });
    host = fleet.hosts[0]!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-openssh-copy-'));
  });
  after(async () => {
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a copy lands whole with its digest and progress, resumes a partial by digest, and leaves no key file behind', async () => {
    const scratchFolders = (): string[] => readdirSync(os.tmpdir()).filter((name) => name.startsWith('outpost-sftp-'));
    const before = new Set(scratchFolders());
    const session = await open();
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'model.bin');
      const bytes = randomBytes(OPENSSH_MIN_BYTES + 3);
      writeFileSync(local, bytes);
      const progress: number[] = [];
      const whole = await session.copyFile(local, `${where}/whole.bin`, { onProgress: (done) => progress.push(done) });
      assert.deepEqual({ sha256: whole.sha256, resumedFrom: whole.resumedFrom, last: progress.at(-1) }, { sha256: sha256(bytes), resumedFrom: 0, last: bytes.length });
      assert.equal(sha256(readFileSync(`${where}/whole.bin`)), sha256(bytes));
      assert.equal(statSync(`${where}/whole.bin`).mode & 0o777, 0o600);

      writeFileSync(`${where}/resumed.bin.partial`, bytes.subarray(0, 10 * MiB + 7));
      ownedByLogin(`${where}/resumed.bin.partial`, where);
      const starts: number[] = [];
      const resumed = await session.copyFile(local, `${where}/resumed.bin`, { onStart: (from) => starts.push(from) });
      assert.deepEqual({ resumedFrom: resumed.resumedFrom, starts, sha256: resumed.sha256 }, { resumedFrom: 10 * MiB + 7, starts: [10 * MiB + 7], sha256: sha256(bytes) });
      assert.equal(sha256(readFileSync(`${where}/resumed.bin`)), sha256(bytes));

      const damaged = Buffer.from(bytes.subarray(0, 8 * MiB));
      damaged[MiB] = (damaged[MiB] as number) ^ 0xff;
      writeFileSync(`${where}/damaged.bin.partial`, damaged);
      ownedByLogin(`${where}/damaged.bin.partial`, where);
      const afresh = await session.copyFile(local, `${where}/damaged.bin`);
      assert.deepEqual({ resumedFrom: afresh.resumedFrom, discarded: afresh.discardedPartial }, { resumedFrom: 0, discarded: 8 * MiB });
      assert.equal(sha256(readFileSync(`${where}/damaged.bin`)), sha256(bytes));

      // A path the batch cannot name plainly, or a small file, goes through the ssh2 upload, with the same result.
      writeFileSync(path.join(dir, 'small.bin'), bytes.subarray(0, MiB));
      const small = await session.copyFile(path.join(dir, 'small.bin'), `${where}/small.bin`, { onProgress: (done) => progress.push(done) });
      assert.equal(small.sha256, sha256(bytes.subarray(0, MiB)));
      const spaced = await session.copyFile(local, `${where}/with space.bin`);
      assert.equal(spaced.sha256, sha256(bytes));
      assert.equal(sha256(readFileSync(`${where}/with space.bin`)), sha256(bytes));
    } finally {
      session.close();
    }
    assert.deepEqual(
      scratchFolders().filter((name) => !before.has(name)),
      [],
      'the temporary key and known_hosts are removed',
    );
  });

  test('a cancelled copy kills sftp and leaves a true prefix, which the next copy resumes', { timeout: 120_000 }, async () => {
    const session = await open();
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'big.bin');
      const bytes = randomBytes(256 * MiB);
      writeFileSync(local, bytes);
      const controller = new AbortController();
      const copy = session.copyFile(local, `${where}/big.bin`, { signal: controller.signal, onProgress: (done, total) => done > 0 && done < total && controller.abort() });
      await assert.rejects(copy, { name: 'AbortError' });
      const partial = await settled(`${where}/big.bin.partial`);
      assert.ok(partial.length > 0 && partial.length < bytes.length, `a partial copy of ${partial.length} bytes`);
      assert.ok(partial.equals(bytes.subarray(0, partial.length)), 'the partial file is a prefix of the source');
      const resumed = await session.copyFile(local, `${where}/big.bin`);
      assert.equal(resumed.resumedFrom, partial.length);
      assert.equal(sha256(readFileSync(`${where}/big.bin`)), sha256(bytes));
    } finally {
      session.close();
    }
  });

  test('a host whose key is no longer the pinned one is refused by sftp before any byte of the file is sent', { timeout: 60_000 }, async () => {
    const session = await open();
    try {
      const where = await remoteDir(session);
      const local = path.join(dir, 'small.bin');
      writeFileSync(local, randomBytes(OPENSSH_MIN_BYTES));
      // The session's connection predates the change; the sftp child connects afresh and meets the new key.
      await host.replaceHostKey();
      const logins = host.logs().split('Accepted publickey').length;
      await assert.rejects(session.copyFile(local, `${where}/small.bin`), /OpenSSH sftp exited with status \d+: .*Host key verification failed/s);
      assert.equal(statSync(`${where}/small.bin.partial`).size, 0);
      assert.equal(existsSync(`${where}/small.bin`), false);
      assert.equal(host.logs().split('Accepted publickey').length, logins, 'no login was made with the changed key');
    } finally {
      session.close();
    }
  });
});
