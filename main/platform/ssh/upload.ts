import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { abortError } from './connect.js';

export interface UploadOptions {
  /** Once, before the first byte moves: where the copy starts (a resumed prefix) and the file's size. */
  onStart?: ((resumedFrom: number, total: number) => void) | undefined;
  /** Bytes known to be on the host, and the file's size; called every 240 KiB and at the end. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * sha256 (hex) of the first `bytes` of a file on the host, or null when the host cannot say (no sha256sum);
 * the session reads it with a command beside the SFTP channel.
 */
export type RemotePrefixDigest = (path: string, bytes: number, signal: AbortSignal | undefined) => Promise<string | null>;

export interface UploadResult {
  bytes: number;
  /** Where this copy started: the size of the `.partial` an earlier copy left, when its digest matched. */
  resumedFrom: number;
  /** Bytes of a `.partial` whose digest did not match the file's start: thrown away, the copy started over. */
  discardedPartial: number;
  /** sha256 (hex) of the local file, computed from the bytes as they were read. */
  sha256: string;
}

/**
 * One SFTP write at a time leaves the link idle for a round trip per chunk; many writes in flight keep it
 * full (README, Workers: the copy against scp). OpenSSH's sftp-server takes writes up to 255 KiB, and ssh2
 * splits a write for a server that announces less; each write costs a request, a copy and a callback on this
 * thread, so they are made large: 240 KiB, 32 in flight (7.5 MiB).
 */
const WRITE_SIZE = 240 * 1024;
const READ_SIZE = 4 * WRITE_SIZE;
const MAX_WRITES_IN_FLIGHT = 32;
/** Progress is told as each write is acknowledged in order (4369 calls a GiB). */
const PROGRESS_STEP = WRITE_SIZE;

interface SftpCalls {
  call: <T>(run: (done: (error: Error | null | undefined, value: T) => void) => void) => Promise<T>;
  /** Stops watching the channel (it may serve another copy). */
  release(): void;
}

/**
 * SFTP requests that fail, rather than wait forever, once the channel is gone: ssh2 fails the requests in flight
 * when a link drops, but never answers one sent after.
 */
function callsOn(sftp: SFTPWrapper): SftpCalls {
  let gone: Error | null = null;
  const waiting = new Set<(error: Error) => void>();
  const onGone = (): void => {
    gone ??= new Error('the SSH connection closed during the copy');
    for (const fail of waiting) fail(gone);
    waiting.clear();
  };
  sftp.once('end', onGone);
  sftp.once('close', onGone);
  const call = <T>(run: (done: (error: Error | null | undefined, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      if (gone) return reject(gone);
      const fail = (error: Error): void => reject(error);
      waiting.add(fail);
      run((error, value) => {
        waiting.delete(fail);
        if (error) reject(error);
        else resolve(value);
      });
    });
  return { call, release: () => void sftp.off('end', onGone).off('close', onGone) };
}

/**
 * Copies `localPath` to `<remotePath>.partial`, starting where an earlier copy
 * stopped, then renames it into place (its folder must exist). A copy that
 * fails or is cancelled leaves the `.partial` cut at the last byte written in
 * order, so the next copy resumes from a true prefix. Before resuming, the
 * partial's digest (read on the host by `prefixDigest`) is checked against the
 * same bytes of the local file: a partial damaged since is copied afresh.
 */
export function uploadOverSftp(sftp: SFTPWrapper, localPath: string, remotePath: string, options: UploadOptions = {}, prefixDigest?: RemotePrefixDigest): Promise<UploadResult> {
  return copyThroughPartial(sftp, localPath, remotePath, options, prefixDigest, async ({ file, partial, start, total, hash, call }) => {
    const handle = await call<Buffer>((done) => sftp.open(partial, start > 0 ? 'r+' : 'w', { mode: 0o600 }, done));
    const written = { upTo: start };
    try {
      await pipelinedWrites(sftp, handle, file, { start, total, hash, written, onProgress: options.onProgress, signal: options.signal });
    } catch (error) {
      await call<void>((done) => sftp.fsetstat(handle, { size: written.upTo }, done)).catch(() => undefined);
      throw error;
    } finally {
      await call<void>((done) => sftp.close(handle, done)).catch(() => undefined);
    }
  });
}

/** A copy under way to `partial`: where it starts, the local file, and SFTP calls that fail once the channel is gone. */
export interface PartialCopy extends ResumePoint {
  file: fs.FileHandle;
  partial: string;
  call: SftpCalls['call'];
}

/**
 * The frame every copy shares: decides where it starts (`resumePoint`), says so, lets `send` bring the
 * `.partial` up to the whole file (and feed the rest of the file to the hash), then renames it into place.
 */
export async function copyThroughPartial(sftp: SFTPWrapper, localPath: string, remotePath: string, options: UploadOptions, prefixDigest: RemotePrefixDigest | undefined, send: (copy: PartialCopy) => Promise<void>): Promise<UploadResult> {
  if (options.signal?.aborted) throw abortError();
  const partial = `${remotePath}.partial`;
  const calls = callsOn(sftp);
  const file = await fs.open(localPath, 'r');
  try {
    const point = await resumePoint(sftp, file, partial, prefixDigest, options.signal);
    options.onStart?.(point.start, point.total);
    await send({ ...point, file, partial, call: calls.call });
    await calls.call<void>((done) => sftp.rename(partial, remotePath, done));
    return { bytes: point.total, resumedFrom: point.start, discardedPartial: point.discardedPartial, sha256: point.hash.digest('hex') };
  } finally {
    calls.release();
    await file.close();
  }
}

export interface ResumePoint {
  /** The local file's size. */
  total: number;
  /** Where the copy starts: the `.partial`'s size when its digest matched the file's start, else 0. */
  start: number;
  /** The local file's hash over its first `start` bytes. */
  hash: Hash;
  discardedPartial: number;
}

/**
 * Where a copy to `partial` starts: after the partial an earlier copy left, when it is no longer than the file
 * and its digest on the host (when the host can tell) matches the same bytes here; else from the start.
 */
async function resumePoint(sftp: SFTPWrapper, file: fs.FileHandle, partial: string, prefixDigest: RemotePrefixDigest | undefined, signal: AbortSignal | undefined): Promise<ResumePoint> {
  const total = (await file.stat()).size;
  const present = await new Promise<number>((resolve) => sftp.stat(partial, (error, stats) => resolve(error ? 0 : stats.size)));
  // A partial longer than the file cannot be a prefix of it.
  const start = present <= total ? present : 0;
  const hash = createHash('sha256');
  const [, remotePrefix] = await Promise.all([hashRange(file, 0, start, hash), start > 0 && prefixDigest ? prefixDigest(partial, start, signal) : null]);
  const discardedPartial = present > total ? present : remotePrefix !== null && remotePrefix !== hash.copy().digest('hex') ? start : 0;
  return discardedPartial ? { total, start: 0, hash: createHash('sha256'), discardedPartial } : { total, start, hash, discardedPartial };
}

/** Feeds bytes [from, to) of the file to `hash`. */
export async function hashRange(file: fs.FileHandle, from: number, to: number, hash: Hash): Promise<void> {
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
      sftp.off('end', onGone).off('close', onGone);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => settle(abortError());
    const onGone = (): void => settle(new Error('the SSH connection closed during the copy'));
    signal?.addEventListener('abort', onAbort, { once: true });
    sftp.once('end', onGone).once('close', onGone);

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
