import fs from 'node:fs';
import { Client, type SFTPWrapper } from 'ssh2';
import { OutpostError } from '../../../shared/errors.js';
import { sha256Fingerprint } from '../../identity/index.js';
import type { HostKeyIdentity } from '../../discovery/index.js';

/**
 * What the Workers need of SSH beyond running commands (discovery's
 * SshSession does that): the host's whole public key, to write a known_hosts
 * line the head's tunnel can check, and SFTP for model files. The host key is
 * compared with Outpost's pin before anything is sent, exactly as discovery does.
 */
export interface PinnedEndpoint {
  node: string;
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
  pin: HostKeyIdentity;
}

const keyTypeOf = (blob: Buffer): string => blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');

function connect(endpoint: PinnedEndpoint, signal: AbortSignal | undefined): Promise<{ client: Client; hostKey: Buffer }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey: Buffer | null = null;
    const onAbort = (): void => {
      client.end();
      reject(new OutpostError('CANCELLED', 'the launch was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ client, hostKey: hostKey as Buffer });
    });
    client.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new OutpostError('UNAVAILABLE', `cannot reach ${endpoint.node} (${endpoint.address}:${endpoint.port}) over SSH: ${error.message}`, 'check the host, or run `outpost discover` on it'));
    });
    client.connect({
      host: endpoint.address,
      port: endpoint.port,
      username: endpoint.user,
      privateKey: endpoint.privateKey,
      readyTimeout: 15_000,
      hostVerifier: (blob: Buffer) => {
        const ok = sha256Fingerprint(blob) === endpoint.pin.fingerprint && keyTypeOf(blob) === endpoint.pin.keyType;
        if (ok) hostKey = blob;
        return ok;
      },
    });
  });
}

/** `[address]:port type base64`: the pinned key, for the head's deployment-only known_hosts. */
export async function knownHostsLine(endpoint: PinnedEndpoint, signal?: AbortSignal): Promise<string> {
  const { client, hostKey } = await connect(endpoint, signal);
  client.end();
  return `[${endpoint.address}]:${endpoint.port} ${keyTypeOf(hostKey)} ${hostKey.toString('base64')}`;
}

const CHUNK = 256 * 1024;

/**
 * Copies a local file to `remotePath` (whose folder exists) over SFTP, resuming a `.partial` left
 * by an interrupted copy, and renames it into place when whole.
 */
export async function uploadResumable(
  endpoint: PinnedEndpoint,
  localPath: string,
  remotePath: string,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { client } = await connect(endpoint, signal);
  try {
    await copy(client, localPath, remotePath, onProgress, signal);
  } catch (error) {
    if (error instanceof OutpostError) throw error;
    throw new OutpostError('UNAVAILABLE', `copying the model to ${endpoint.node} (${remotePath}) failed: ${(error as Error).message}`, 'check the free space and permissions there; the next launch resumes the copy');
  } finally {
    client.end();
  }
}

async function copy(client: Client, localPath: string, remotePath: string, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, s) => (error ? reject(error) : resolve(s))));
  const partial = `${remotePath}.partial`;
  const total = fs.statSync(localPath).size;
  const start = await new Promise<number>((resolve) => sftp.stat(partial, (error, stats) => resolve(error ? 0 : Math.min(stats.size, total))));
  const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(partial, start > 0 ? 'r+' : 'w', { mode: 0o600 }, (error, h) => (error ? reject(error) : resolve(h))));
  const fd = fs.openSync(localPath, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (let offset = start; offset < total; ) {
      if (signal?.aborted) throw new OutpostError('CANCELLED', 'the model copy was cancelled; it resumes where it stopped');
      const read = fs.readSync(fd, buffer, 0, CHUNK, offset);
      await new Promise<void>((resolve, reject) => sftp.write(handle, buffer, 0, read, offset, (error) => (error ? reject(error) : resolve())));
      offset += read;
      onProgress(offset, total);
    }
  } finally {
    fs.closeSync(fd);
    await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
  }
  await new Promise<void>((resolve, reject) => sftp.rename(partial, remotePath, (error) => (error ? reject(error) : resolve())));
}
