import { createHash, randomBytes, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { DEFAULT_CHUNKING, StreamingChunker, type ChunkingParams } from '../core/fastcdc.js';
import { pipelined } from '../core/pipeline.js';
import type { ChunkPlace, ModelStore, RangeReader } from '../core/ports.js';
import { stagedRange } from '../core/staged-range.js';

/** Big sequential reads; three slots let one block be read and one written while this thread chunks and hashes a third. */
const BLOCK = 8 * 1024 * 1024;
const SLOTS = 3;

export interface IngestedFile {
  digest: string;
  size: number;
  chunks: Array<[string, number]>;
}

/**
 * `models/`: every file named by its SHA-256, so the same content is never
 * stored twice. `staging/`: files of a bundle being imported, each assembled
 * in place at its final size (see PartialFile), so a chunk read from a medium
 * is written once, straight to where it belongs.
 */
export class FileStore implements ModelStore {
  readonly models: string;
  readonly staging: string;

  constructor(
    root: string,
    private readonly chunking: ChunkingParams = DEFAULT_CHUNKING,
  ) {
    this.models = path.join(root, 'models');
    this.staging = path.join(root, 'staging');
  }

  modelPath(digest: string): string {
    return path.join(this.models, digest);
  }

  hasModel(digest: string): boolean {
    return fs.existsSync(this.modelPath(digest));
  }

  private partialPath(digest: string): string {
    return path.join(this.staging, 'files', digest);
  }

  /**
   * Reads, chunks, hashes and copies a file into models/ in one pass: reads
   * and writes run in the pool while this thread finds boundaries and hashes,
   * and memory stays at three blocks whatever the file's size.
   */
  async ingest(source: string, options: { signal?: AbortSignal | undefined; onBytes?: (n: number) => void }): Promise<IngestedFile> {
    fs.mkdirSync(this.models, { recursive: true, mode: 0o700 });
    const temp = path.join(this.models, `.incoming-${process.pid}-${randomBytes(4).toString('hex')}`);
    const input = await fs.promises.open(source, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const output = await fs.promises.open(temp, 'w', 0o600);
    const fileHash = createHash('sha256');
    const chunker = new StreamingChunker(this.chunking);
    const chunks: Array<[string, number]> = [];
    let chunkHash = createHash('sha256');
    let chunkLength = 0;
    let size = 0;
    try {
      const expected = (await input.stat()).size;
      const blocks = Array.from({ length: Math.ceil(expected / BLOCK) }, (_, i) => i);
      const slots = Array.from({ length: SLOTS }, () => Buffer.allocUnsafeSlow(BLOCK));
      await pipelined(
        blocks,
        { slots: SLOTS, signal: options.signal },
        async (block, slot) => {
          const { bytesRead } = await input.read(slots[slot] as Buffer, 0, BLOCK, block * BLOCK);
          if (bytesRead !== Math.min(BLOCK, expected - block * BLOCK)) throw changedWhileReading(source);
          return (slots[slot] as Buffer).subarray(0, bytesRead);
        },
        (data, block) => {
          fileHash.update(data);
          let from = 0;
          for (const cut of chunker.push(data)) {
            chunkHash.update(data.subarray(from, cut));
            chunks.push([chunkHash.digest('hex'), chunkLength + cut - from]);
            chunkHash = createHash('sha256');
            chunkLength = 0;
            from = cut;
          }
          chunkHash.update(data.subarray(from));
          chunkLength += data.length - from;
          size += data.length;
          options.onBytes?.(data.length);
          return output.write(data, 0, data.length, block * BLOCK);
        },
      );
      if (chunker.end() > 0) chunks.push([chunkHash.digest('hex'), chunkLength]);
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

  /** An open stored file to read chunks from (export, or a delta's chunks this installation already holds). */
  openModel(digest: string): Promise<ClosableRangeReader> {
    return openRanges(this.modelPath(digest), () => storeDamaged(digest));
  }

  /** A partial file in staging/, read-only: chunks an earlier run or medium already brought. */
  openStaged(digest: string): Promise<ClosableRangeReader> {
    return openRanges(this.partialPath(digest), () => stagingDamaged(digest));
  }

  /** Where each chunk already staged for these files lies: the partial file and the offset in it. */
  stagedChunks(files: ReadonlyArray<{ digest: string; chunks: ReadonlyArray<readonly [string, number]> }>): Map<string, ChunkPlace> {
    const found = new Map<string, ChunkPlace>();
    for (const file of files) {
      const staged = readStagedLog(this.partialPath(file.digest));
      if (staged.size === 0) continue;
      let offset = 0;
      file.chunks.forEach(([chunk, size]) => {
        if (staged.has(stagedRange(offset, size)) && !found.has(chunk)) found.set(chunk, { file: file.digest, offset });
        offset += size;
      });
    }
    return found;
  }

  /** Opens each stored or staged file once for the chunks read from it; `close` closes them all. */
  readers(): RangeReaders {
    return new RangeReaders(this);
  }

  /** The partial file for `digest` in staging/, created at its full size if this is the first medium to bring any of it. */
  async partial(digest: string, size: number): Promise<PartialFile> {
    fs.mkdirSync(path.join(this.staging, 'files'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.models, { recursive: true, mode: 0o700 });
    return PartialFile.open(this.partialPath(digest), size, this.modelPath(digest));
  }

  /** Staging leftovers of a file that is in models/ now, or that turned out not to match its digest. */
  discardPartial(digest: string): void {
    const file = this.partialPath(digest);
    fs.rmSync(file, { force: true });
    fs.rmSync(`${file}.staged`, { force: true });
  }
}

interface ClosableRangeReader extends RangeReader {
  close(): Promise<void>;
}

export class RangeReaders {
  private readonly opened = new Map<string, Promise<ClosableRangeReader>>();

  constructor(private readonly store: FileStore) {}

  open(where: 'local' | 'staged', digest: string): Promise<ClosableRangeReader> {
    const key = `${where}:${digest}`;
    let reader = this.opened.get(key);
    if (!reader) {
      reader = where === 'local' ? this.store.openModel(digest) : this.store.openStaged(digest);
      this.opened.set(key, reader);
    }
    return reader;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.opened.values()].map(async (r) => (await r).close()));
  }
}

async function openRanges(file: string, damaged: () => OutpostError): Promise<ClosableRangeReader> {
  const handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  return {
    read: async (offset, into) => {
      const { bytesRead } = await handle.read(into, 0, into.length, offset);
      if (bytesRead !== into.length) throw damaged();
      return into;
    },
    close: () => handle.close(),
  };
}

/** Ranges listed in a partial file's log; only whole lines count (a torn last line is a range not known to be written). */
function readStagedLog(file: string): Set<string> {
  const staged = new Set<string>();
  let log: string;
  try {
    log = fs.readFileSync(`${file}.staged`, 'utf8');
  } catch {
    return staged;
  }
  for (const line of log.split('\n').slice(0, -1)) if (/^\d{1,15}\+\d{1,8}$/.test(line)) staged.add(line);
  return staged;
}

/** Sync and log staged ranges every this many bytes: a kill -9 re-reads at most this much of the medium, and the disk is waited for rarely. */
const FLUSH_BYTES = 256 * 1024 * 1024;

/**
 * A file being assembled in staging/: `<digest>` holds the bytes at their
 * final offsets, `<digest>.staged` lists the byte ranges (`offset+size`, one
 * per line) known to be there. A range is appended only after its bytes were
 * synced to disk, so after a crash the log may forget a chunk (it is read
 * again) but never claims one that is not there.
 */
export class PartialFile {
  private unflushed: string[] = [];
  private unflushedBytes = 0;
  private writes: Array<Promise<unknown>> = [];
  private flushes: Array<Promise<void>> = [];
  private lastWrite: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly handle: fs.promises.FileHandle,
    private readonly target: string,
    readonly staged: Set<string>,
  ) {}

  static async open(file: string, size: number, target: string): Promise<PartialFile> {
    const handle = await fs.promises.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    if ((await handle.stat()).size !== size) await handle.truncate(size);
    return new PartialFile(file, handle, target, readStagedLog(file));
  }

  /**
   * Starts writing a chunk at its offset; the returned promise settles when
   * the bytes are handed to the kernel. Every FLUSH_BYTES a sync of what was
   * written starts beside it, so the disk catches up while reading goes on.
   */
  write(offset: number, bytes: Uint8Array): Promise<unknown> {
    // One write at a time per file: writes to one file hold its inode lock in turn anyway, and several pool
    // threads waiting on it spin (perf showed a fifth of import's CPU in rwsem_spin_on_owner on 2 cores).
    const writing = this.lastWrite.then(() => this.handle.write(bytes, 0, bytes.length, offset));
    this.lastWrite = writing.catch(() => undefined);
    this.writes.push(writing);
    const range = stagedRange(offset, bytes.length);
    this.staged.add(range);
    this.unflushed.push(range);
    this.unflushedBytes += bytes.length;
    if (this.unflushedBytes >= FLUSH_BYTES) {
      const flushing = this.flush();
      // Awaited by commit or close; until then a failure must not count as unhandled.
      flushing.catch(() => undefined);
      this.flushes.push(flushing);
    }
    return writing;
  }

  /** Syncs the bytes written so far, then records their ranges as staged. */
  private async flush(): Promise<void> {
    // Taken now: a write started while this flush waits is recorded by the next one.
    const writes = this.writes;
    const positions = this.unflushed;
    this.writes = [];
    this.unflushed = [];
    this.unflushedBytes = 0;
    await Promise.all(writes);
    if (positions.length === 0) return;
    await this.handle.datasync();
    await fs.promises.appendFile(`${this.file}.staged`, `${positions.join('\n')}\n`, { mode: 0o600 });
  }

  /** `size` staged bytes at `offset`, read back (to name a damaged chunk). */
  async read(offset: number, size: number): Promise<Buffer> {
    await Promise.all(this.writes);
    const into = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.handle.read(into, 0, size, offset);
    if (bytesRead !== size) throw stagingDamaged(path.basename(this.file));
    return into;
  }

  /** SHA-256 of the staged file, read back in blocks: only for a file not assembled in order in one run. */
  async digest(size: number): Promise<string> {
    await Promise.all(this.writes);
    const hash: Hash = createHash('sha256');
    const block = Buffer.allocUnsafeSlow(Math.min(BLOCK, Math.max(size, 1)));
    for (let offset = 0; offset < size; offset += block.length) {
      const part = block.subarray(0, Math.min(block.length, size - offset));
      const { bytesRead } = await this.handle.read(part, 0, part.length, offset);
      if (bytesRead !== part.length) throw stagingDamaged(path.basename(this.file));
      hash.update(part);
    }
    return hash.digest('hex');
  }

  /** Every byte is there and checked: sync, then move into models/ under its digest in one rename. */
  async commit(): Promise<void> {
    await Promise.all(this.flushes);
    await Promise.all(this.writes);
    await this.handle.sync();
    await this.handle.close();
    await fs.promises.rename(this.file, this.target);
    fs.rmSync(`${this.file}.staged`, { force: true });
  }

  /** Leaves the file for the next medium or the next run, with what is synced recorded. */
  async close(): Promise<void> {
    try {
      await Promise.allSettled(this.flushes);
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }
}

function changedWhileReading(source: string): OutpostError {
  return new OutpostError('CONFLICT', `${source} changed size while it was being read`, 'release it again once nothing writes to it');
}

function stagingDamaged(digest: string): OutpostError {
  return new OutpostError('STORAGE', `the staged file ${digest.slice(0, 12)}… is shorter than expected`, 'delete the staging/ folder in the data dir and import again');
}

function storeDamaged(digest: string): OutpostError {
  return new OutpostError('STORAGE', `models/${digest.slice(0, 12)}… is shorter than recorded`, 'the data dir was damaged; release or import the model again');
}
