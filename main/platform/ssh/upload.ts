import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { abortError } from './connect.js';

export interface UploadOptions {
  /** Bytes known to be on the host, and the file's size; called every 256 KiB and at the end. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface UploadResult {
  bytes: number;
  /** Where this copy started: the size of the `.partial` an earlier copy left. */
  resumedFrom: number;
  /** sha256 (hex) of the local file, computed from the bytes as they were read. */
  sha256: string;
}

/**
 * One SFTP write at a time leaves the link idle for a round trip per chunk; many writes in flight keep it
 * full (README, Workers: the copy against scp). OpenSSH's
 * sftp-server takes writes up to 255 KiB; 64 KiB writes stay under every server's limit.
 */
const WRITE_SIZE = 64 * 1024;
const READ_SIZE = 16 * WRITE_SIZE;
const MAX_WRITES_IN_FLIGHT = 64;
/** Progress is told every 256 KiB written in order (4096 calls a GiB), not per write. */
const PROGRESS_STEP = 256 * 1024;

const call = <T>(run: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> => new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value))));

/**
 * Copies `localPath` to `<remotePath>.partial`, starting where an earlier copy
 * stopped, then renames it into place (its folder must exist). A copy that
 * fails or is cancelled leaves the `.partial` cut at the last byte written in
 * order, so the next copy resumes from a true prefix.
 */
export async function uploadOverSftp(sftp: SFTPWrapper, localPath: string, remotePath: string, options: UploadOptions = {}): Promise<UploadResult> {
  const { signal } = options;
  if (signal?.aborted) throw abortError();
  const partial = `${remotePath}.partial`;
  const file = await fs.open(localPath, 'r');
  try {
    const total = (await file.stat()).size;
    const present = await new Promise<number>((resolve) => sftp.stat(partial, (error, stats) => resolve(error ? 0 : stats.size)));
    const start = Math.min(present, total);
    const hash = createHash('sha256');
    await hashRange(file, 0, start, hash);
    const handle = await call<Buffer>((done) => sftp.open(partial, start > 0 ? 'r+' : 'w', { mode: 0o600 }, done));
    const written = { upTo: start };
    try {
      await pipelinedWrites(sftp, handle, file, { start, total, hash, written, onProgress: options.onProgress, signal });
    } catch (error) {
      await call<void>((done) => sftp.fsetstat(handle, { size: written.upTo }, done)).catch(() => undefined);
      throw error;
    } finally {
      await call<void>((done) => sftp.close(handle, done)).catch(() => undefined);
    }
    await call<void>((done) => sftp.rename(partial, remotePath, done));
    return { bytes: total, resumedFrom: start, sha256: hash.digest('hex') };
  } finally {
    await file.close();
  }
}

async function hashRange(file: fs.FileHandle, from: number, to: number, hash: Hash): Promise<void> {
  const buffer = Buffer.allocUnsafe(READ_SIZE);
  for (let offset = from; offset < to;) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(READ_SIZE, to - offset), offset);
    if (bytesRead === 0) throw new Error('the local file shrank while it was copied');
    hash.update(buffer.subarray(0, bytesRead));
    offset += bytesRead;
  }
}

interface Pump {
  start: number;
  total: number;
  hash: Hash;
  /** Every byte below `upTo` is acknowledged by the host (writes are tracked in offset order). */
  written: { upTo: number };
  onProgress: UploadOptions['onProgress'];
  signal: AbortSignal | undefined;
}

/** Reads the file in order, hashing it, and keeps up to MAX_WRITES_IN_FLIGHT writes outstanding. */
function pipelinedWrites(sftp: SFTPWrapper, handle: Buffer, file: fs.FileHandle, pump: Pump): Promise<void> {
  const { total, hash, written, onProgress, signal } = pump;
  return new Promise((resolve, reject) => {
    const outstanding: Array<{ end: number; acked: boolean }> = [];
    let readOffset = pump.start;
    let reading = false;
    let settled = false;
    let reported = pump.start;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => settle(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });

    const acknowledge = (): void => {
      while (outstanding[0]?.acked) written.upTo = (outstanding.shift() as { end: number }).end;
      if (written.upTo - reported >= PROGRESS_STEP || written.upTo === total) {
        reported = written.upTo;
        onProgress?.(written.upTo, total);
      }
      if (written.upTo === total) settle(null);
      else void fill();
    };
    const fill = async (): Promise<void> => {
      if (reading) return;
      reading = true;
      try {
        while (!settled && readOffset < total && outstanding.length < MAX_WRITES_IN_FLIGHT) {
          const length = Math.min(READ_SIZE, total - readOffset);
          const block = Buffer.allocUnsafe(length);
          const { bytesRead } = await file.read(block, 0, length, readOffset);
          if (bytesRead !== length) throw new Error('the local file shrank while it was copied');
          if (settled) return;
          hash.update(block);
          for (let at = 0; at < length; at += WRITE_SIZE) {
            const entry = { end: readOffset + Math.min(at + WRITE_SIZE, length), acked: false };
            outstanding.push(entry);
            sftp.write(handle, block, at, entry.end - readOffset - at, readOffset + at, (error) => {
              if (error) return settle(error);
              entry.acked = true;
              acknowledge();
            });
          }
          readOffset += length;
        }
      } catch (error) {
        settle(error as Error);
      } finally {
        reading = false;
      }
    };
    if (pump.start === total) acknowledge();
    else void fill();
  });
}
