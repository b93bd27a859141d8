import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { abortError } from './connect.js';
import { copyThroughPartial, hashRange, type RemotePrefixDigest, type UploadOptions, type UploadResult } from './upload.js';

/** Who the `sftp` child logs in as, and where: the session's own login, never put on a command line. */
export interface OpenSshLogin {
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
  /** `type base64`: the key the session's host presented, which matched its pin. */
  hostPublicKey: string;
}

/** The name the pinned key is filed under in the child's one-line known_hosts, whatever the address looks like. */
const HOST_ALIAS = 'outpost-pinned-host';
/** How often the `.partial`'s size on the host is read for the progress. */
const PROGRESS_POLL_MS = 250;
/**
 * What OpenSSH's sftp asks for: 255 KiB writes (sftp-server's largest, as it announces in `limits@openssh.com`),
 * 32 in flight, and AES-GCM first (hardware-accelerated on both ends; OpenSSH's own default puts chacha20 first).
 */
const SFTP_TUNING = ['-B', '261120', '-R', '32', '-c', 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr'];
/**
 * Below this a file goes over the session's own channel: the child's new connection (process, key exchange,
 * login: about a tenth of a second) would cost more than its speed saves.
 */
export const OPENSSH_MIN_BYTES = 64 * 2 ** 20;
/** The batch names the remote file unquoted, so only paths of these characters go this way. */
const BATCH_SAFE_PATH = /^\/[\w./+@,:=%~-]*$/;

let sftpOnPath: string | null | undefined;

/** The workstation's OpenSSH `sftp`, or null when it has none (Windows is left to the ssh2 upload: its paths differ). */
export function openSshSftp(): string | null {
  if (sftpOnPath !== undefined) return sftpOnPath;
  const dirs = process.platform === 'win32' ? [] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  sftpOnPath = null;
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, 'sftp'), constants.X_OK);
      sftpOnPath = path.join(dir, 'sftp');
      break;
    } catch {
      // not in this folder
    }
  }
  return sftpOnPath;
}

/** Whether `remotePath` can be copied by the `sftp` child (an absolute path of plain characters). */
export const openSshCanCopyTo = (remotePath: string): boolean => BATCH_SAFE_PATH.test(`${remotePath}.partial`);

/**
 * The bulk of the copy made by OpenSSH's `sftp` (C: framing, cipher and disk I/O off Node's thread), around the
 * same resume rules as the ssh2 upload: the `.partial` is checked and prepared over the session's SFTP channel,
 * `sftp` appends the rest to it (`reput`), the local digest is computed meanwhile, and the partial is renamed
 * into place. The child trusts only the key the session's host presented (already matched against the pin) and
 * logs in with the session's key, from a private temporary folder removed afterwards. Cancelling kills the child;
 * its appends leave a true prefix.
 */
export function uploadWithOpenSsh(sftp: SFTPWrapper, sftpBinary: string, login: OpenSshLogin, localPath: string, remotePath: string, options: UploadOptions, prefixDigest: RemotePrefixDigest): Promise<UploadResult> {
  return copyThroughPartial(sftp, localPath, remotePath, options, prefixDigest, async ({ file, partial, start, total, hash, call }) => {
    if (start === 0) {
      const handle = await call<Buffer>((done) => sftp.open(partial, 'w', { mode: 0o600 }, done));
      await call<void>((done) => sftp.close(handle, done));
    }
    if (start < total) {
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'outpost-sftp-'));
      const stopPolling = pollSize(sftp, partial, (size) => options.onProgress?.(Math.min(size, total), total));
      try {
        const source = path.join(scratch, 'model');
        await fs.symlink(path.resolve(localPath), source);
        const args = await loginArguments(scratch, login);
        await Promise.all([runSftp(sftpBinary, args, `reput ${source} ${partial}\n`, options.signal), hashRange(file, start, total, hash)]);
      } finally {
        stopPolling();
        await fs.rm(scratch, { recursive: true, force: true });
      }
    }
    options.onProgress?.(total, total);
  });
}

/** Options that make the child use nothing of the workstation's SSH setup: one key, one pinned host key. */
async function loginArguments(scratch: string, login: OpenSshLogin): Promise<string[]> {
  const keyFile = path.join(scratch, 'key');
  const knownHosts = path.join(scratch, 'known_hosts');
  await fs.writeFile(keyFile, login.privateKey, { mode: 0o600 });
  await fs.writeFile(knownHosts, `${HOST_ALIAS} ${login.hostPublicKey}\n`, { mode: 0o600 });
  const keyType = login.hostPublicKey.split(' ')[0] ?? '';
  // An RSA host key signs with SHA-2 (OpenSSH servers no longer offer the ssh-rsa SHA-1 signature).
  const hostKeyAlgorithms = keyType === 'ssh-rsa' ? 'rsa-sha2-512,rsa-sha2-256' : keyType;
  const settings = {
    BatchMode: 'yes',
    LogLevel: 'ERROR',
    StrictHostKeyChecking: 'yes',
    UserKnownHostsFile: knownHosts,
    GlobalKnownHostsFile: '/dev/null',
    HostKeyAlias: HOST_ALIAS,
    HostKeyAlgorithms: hostKeyAlgorithms,
    CheckHostIP: 'no',
    UpdateHostKeys: 'no',
    IdentitiesOnly: 'yes',
    IdentityAgent: 'none',
    PreferredAuthentications: 'publickey',
    HostName: login.address,
    Port: String(login.port),
    User: login.user,
    ConnectTimeout: '10',
    ServerAliveInterval: '5',
    ServerAliveCountMax: '3',
  };
  return ['-F', '/dev/null', '-i', keyFile, ...Object.entries(settings).flatMap(([name, value]) => ['-o', `${name}=${value}`]), ...SFTP_TUNING, '-b', '-', HOST_ALIAS];
}

/** Runs `sftp` on one batch; rejects with the end of what it printed when it fails, or when cancelled (killed). */
function runSftp(binary: string, args: string[], batch: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-2048)));
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (cancelled) reject(abortError());
      else if (code === 0) resolve();
      else reject(new Error(`OpenSSH sftp ${code === null ? `was killed (${killedBy})` : `exited with status ${code}`}: ${stderr.trim().split('\n').slice(-3).join('; ') || 'no message'}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(batch);
  });
}

/** Reads the partial's size on the host every PROGRESS_POLL_MS until stopped; a failed read is skipped. */
function pollSize(sftp: SFTPWrapper, partial: string, onSize: (size: number) => void): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    sftp.stat(partial, (error, stats) => {
      if (!stopped && !error) onSize(stats.size);
    });
  }, PROGRESS_POLL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
