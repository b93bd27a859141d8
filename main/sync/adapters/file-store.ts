import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { DEFAULT_CHUNKING, StreamingChunker, type ChunkingParams } from '../core/fastcdc.js';

const BLOCK = 4 * 1024 * 1024;

export interface IngestedFile {
  digest: string;
  size: number;
  chunks: Array<[string, number]>;
}

/**
 * `models/`: every file named by its SHA-256, so the same content is never
 * stored twice. `staging/`: verified chunks of a bundle being imported,
 * named by digest, written under a temporary name and renamed only once their
 * hash matched, so a chunk file that exists there is a verified chunk.
 */
export class FileStore {
  readonly models: string;
  readonly staging: string;

  constructor(root: string, private readonly chunking: ChunkingParams = DEFAULT_CHUNKING) {
    this.models = path.join(root, 'models');
    this.staging = path.join(root, 'staging');
  }

  modelPath(digest: string): string {
    return path.join(this.models, digest);
  }

  hasModel(digest: string): boolean {
    return fs.existsSync(this.modelPath(digest));
  }

  stagedPath(chunk: string): string {
    return path.join(this.staging, 'chunks', chunk);
  }

  isStaged(chunk: string): boolean {
    return fs.existsSync(this.stagedPath(chunk));
  }

  /** Reads, chunks, hashes and copies a file into models/ in one pass with bounded memory. */
  async ingest(source: string, options: { signal?: AbortSignal | undefined; onBytes?: (n: number) => void }): Promise<IngestedFile> {
    fs.mkdirSync(this.models, { recursive: true });
    const temp = path.join(this.models, `.incoming-${process.pid}-${randomBytes(4).toString('hex')}`);
    const input = await fs.promises.open(source, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const output = await fs.promises.open(temp, 'w', 0o644);
    const fileHash = createHash('sha256');
    const chunker = new StreamingChunker(this.chunking);
    const chunks: Array<[string, number]> = [];
    let size = 0;
    const take = (pieces: Uint8Array[]) => {
      for (const piece of pieces) chunks.push([createHash('sha256').update(piece).digest('hex'), piece.length]);
    };
    try {
      for (;;) {
        options.signal?.throwIfAborted();
        const block = Buffer.allocUnsafe(BLOCK);
        const { bytesRead } = await input.read(block, 0, BLOCK, null);
        if (bytesRead === 0) break;
        const data = block.subarray(0, bytesRead);
        fileHash.update(data);
        take(chunker.push(data));
        await output.write(data);
        size += bytesRead;
        options.onBytes?.(bytesRead);
      }
      take(chunker.end());
      await output.sync();
    } catch (error) {
      await output.close();
      fs.rmSync(temp, { force: true });
      throw error;
    } finally {
      await input.close();
    }
    await output.close();
    const digest = fileHash.digest('hex');
    if (this.hasModel(digest)) fs.rmSync(temp);
    else fs.renameSync(temp, this.modelPath(digest));
    return { digest, size, chunks };
  }

  /** A chunk of a stored file, for export or for a delta the peer expects us to hold. */
  async readModelRange(digest: string, offset: number, size: number): Promise<Buffer> {
    const handle = await fs.promises.open(this.modelPath(digest), 'r');
    try {
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(buffer, 0, size, offset);
      if (bytesRead !== size) throw storeDamaged(digest);
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async readStaged(chunk: string, size: number): Promise<Buffer> {
    const bytes = await fs.promises.readFile(this.stagedPath(chunk));
    if (bytes.length !== size) throw new OutpostError('STORAGE', `the staged chunk ${chunk.slice(0, 12)}… has the wrong size`, 'delete the staging/ folder in the data dir and import again');
    return bytes;
  }

  async stage(chunk: string, bytes: Uint8Array): Promise<void> {
    fs.mkdirSync(path.join(this.staging, 'chunks'), { recursive: true });
    const temp = `${this.stagedPath(chunk)}.tmp-${process.pid}`;
    await fs.promises.writeFile(temp, bytes);
    await fs.promises.rename(temp, this.stagedPath(chunk));
  }

  /** Starts assembling a file under a temporary name in models/; `commit` renames it to its digest. */
  async assembler(digest: string): Promise<{ write(bytes: Uint8Array): Promise<void>; commit(): Promise<void>; abort(): Promise<void> }> {
    fs.mkdirSync(this.models, { recursive: true });
    const temp = path.join(this.models, `.assembling-${digest}-${process.pid}`);
    const handle = await fs.promises.open(temp, 'w', 0o644);
    return {
      write: async (bytes) => {
        await handle.write(bytes);
      },
      commit: async () => {
        await handle.sync();
        await handle.close();
        await fs.promises.rename(temp, this.modelPath(digest));
      },
      abort: async () => {
        await handle.close().catch(() => undefined);
        fs.rmSync(temp, { force: true });
      },
    };
  }

  unstage(chunks: Iterable<string>): void {
    for (const chunk of chunks) fs.rmSync(this.stagedPath(chunk), { force: true });
  }
}

function storeDamaged(digest: string): OutpostError {
  return new OutpostError('STORAGE', `models/${digest.slice(0, 12)}… is shorter than recorded`, 'the data dir was damaged; release or import the model again');
}
