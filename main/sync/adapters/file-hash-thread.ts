import { Worker } from 'node:worker_threads';
import { sha256Hex } from '../core/dsse.js';
import type { FileHashes, Hasher } from '../core/ports.js';

/**
 * SHA-256 of whole files on a second thread. Verify and import hash every
 * byte twice — once for its chunk's digest, once for its file's — and one
 * thread hashes at sha256sum's speed at best; with the file digests here,
 * the two run side by side on two cores. The bytes are not copied: buffers
 * backed by a SharedArrayBuffer are read in place, and `update` settles
 * when the thread is done with them, so the caller knows when it may reuse
 * its buffer.
 */
export class FileHashThread implements FileHashes {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (value: string | null) => void; reject: (error: Error) => void }>();
  private sequence = 0;
  private failure: Error | null = null;

  constructor() {
    // Inline (eval) so that it loads the same way from a checkout and from the packaged app's archive.
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (message: { seq: number; digest?: string; error?: string }) => {
      const waiter = this.waiting.get(message.seq);
      this.waiting.delete(message.seq);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.digest ?? null);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the file hashing thread exited (${code})`)));
  }

  /** Starts (or restarts) the hash of file `id`. */
  begin(id: string): void {
    this.post({ op: 'begin', id });
  }

  /** Feeds the next bytes of file `id`; settles once the thread no longer reads `bytes`. */
  update(id: string, bytes: Uint8Array): Promise<unknown> {
    if (bytes.buffer instanceof SharedArrayBuffer) return this.request({ op: 'update', id, buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength });
    const copy = bytes.slice();
    return this.request({ op: 'update', id, buffer: copy.buffer, offset: 0, length: copy.byteLength }, [copy.buffer]);
  }

  async digest(id: string): Promise<string> {
    return (await this.request({ op: 'digest', id })) as string;
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the file hashing thread was closed');
    await this.worker.terminate();
  }

  private post(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(message, transfer);
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<string | null> {
    const seq = (this.sequence += 1);
    return new Promise<string | null>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      try {
        this.post({ ...message, seq }, transfer);
      } catch (error) {
        this.waiting.delete(seq);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}

/** SHA-256 here for chunks, on a second thread for whole files, over buffers in shared memory that thread reads in place. */
export const threadedHasher: Hasher = {
  sha256: sha256Hex,
  fileHashes: () => new FileHashThread(),
  buffers: (count, size) => Array.from({ length: count }, () => Buffer.from(new SharedArrayBuffer(size))),
};

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'begin') return void hashes.set(m.id, createHash('sha256'));
    const hash = hashes.get(m.id);
    if (!hash) throw new Error('no hash was begun for ' + m.id);
    if (m.op === 'update') {
      hash.update(new Uint8Array(m.buffer, m.offset, m.length));
      parentPort.postMessage({ seq: m.seq });
    } else if (m.op === 'digest') {
      hashes.delete(m.id);
      parentPort.postMessage({ seq: m.seq, digest: hash.digest('hex') });
    }
  } catch (error) {
    parentPort.postMessage({ seq: m.seq, error: String(error && error.message || error) });
  }
});
`;
