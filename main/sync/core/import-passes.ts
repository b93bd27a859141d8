import type { BundleFile, ImportResult, VerifyResult } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { OpenedEnvelope } from './envelope-check.js';
import { pipelined } from './pipeline.js';
import type { ChunkPlace, Medium, RangeReaders, StagedFile, SyncDeps } from './ports.js';
import { ProgressMeter } from './progress.js';
import { stagedRange } from './staged-range.js';

export interface OpenedBundle extends OpenedEnvelope {
  present: Map<number, Medium>;
  alreadyImported: boolean;
  /** Which medium (1-based) carries each chunk. */
  mediumOf: Map<string, number>;
  /** Chunks this installation already holds in models/ (what a delta left out). */
  local: Map<string, ChunkPlace>;
  /** Chunks already written into a partial file in staging/ (an earlier medium or an interrupted run); grows as this run stages. */
  staged: Map<string, ChunkPlace>;
}

/** One position of a file still to write, and where its bytes come from now. */
interface WorkItem {
  file: string;
  offset: number;
  chunk: string;
  size: number;
  from: 'medium' | 'local' | 'staged';
}

export type StagingCounts = Pick<ImportResult, 'chunksStaged' | 'chunksAlreadyStaged' | 'chunksHeldLocally' | 'filesStored'>;

/** Chunks in flight: read ahead and written behind while this thread hashes one. */
const IMPORT_SLOTS = 8;

export function refuse(message: string, hint = 'nothing was imported; ask the sender for a new bundle'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

function damagedChunk(bundle: OpenedBundle, chunk: string): string {
  const medium = bundle.mediumOf.get(chunk);
  return `chunk ${chunk.slice(0, 12)}… ${medium === undefined ? 'held locally' : `on medium ${medium}`} does not match its digest (damaged or tampered)`;
}

/** Every byte range of the file is staged. */
function isWhole(file: BundleFile, staged: ReadonlySet<string>): boolean {
  let offset = 0;
  return file.chunks.every(([, size]) => {
    const at = offset;
    offset += size;
    return staged.has(stagedRange(at, size));
  });
}

/**
 * The two passes over chunk bytes: verify (read every chunk, check chunk and
 * file digests) and stage (write each chunk once to its place in its file's
 * partial copy, then commit the files that are whole and check out).
 */
export class ImportPasses {
  constructor(private readonly deps: SyncDeps) {}

  /** Reusable buffers for chunks in flight, each as large as the largest chunk listed, that the file hashing reads in place. */
  private slots(work: ReadonlyArray<{ size: number }>): Buffer[] {
    return this.deps.hasher.buffers(
      IMPORT_SLOTS,
      work.reduce((max, w) => Math.max(max, w.size), 1),
    );
  }

  private meter(jobId: string, phase: 'stage' | 'verify', total: number): ProgressMeter {
    return new ProgressMeter(jobId, phase, total, () => this.deps.clock.now().getTime(), this.deps.progress);
  }

  /**
   * Verify and stage in one pass: every chunk of a file still needed is read
   * once (from a medium given now, from models/, or from another staged
   * position), checked against its digest when it comes from a medium, and
   * written straight to its offset in the file's partial copy. A file whose
   * chunks are all there is checked against its own digest (hashed as it
   * streamed by, or read back when it was staged over several runs) and
   * committed into models/.
   */
  async stageAndAssemble(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<StagingCounts> {
    const { files: store, hasher } = this.deps;
    const files = bundle.manifest.files.filter((f) => !store.hasModel(f.digest));
    for (const file of bundle.manifest.files) if (store.hasModel(file.digest)) store.discardPartial(file.digest);
    const counts = { chunksStaged: 0, chunksAlreadyStaged: bundle.staged.size, chunksHeldLocally: bundle.local.size, filesStored: 0 };
    const partials = new Map<string, StagedFile>();
    // Files hashed as they stream by, on the second thread.
    const streamed = new Set<string>();
    const fileHashes = hasher.fileHashes();
    const readers = store.readers();
    const fromMedia = new Set<string>();
    const work: WorkItem[] = [];
    try {
      for (const file of files) {
        const partial = await store.partial(file.digest, file.size);
        partials.set(file.digest, partial);
        const items = this.workFor(bundle, file, partial.staged);
        // A file hashed as it streams by must be written whole, in order, in this run.
        if (partial.staged.size === 0 && items.length === file.chunks.length) {
          streamed.add(file.digest);
          fileHashes.begin(file.digest);
        }
        work.push(...items);
      }
      const meter = this.meter(
        jobId,
        'stage',
        work.reduce((s, w) => s + w.size, 0),
      );
      const slots = this.slots(work);
      await pipelined(
        work,
        { slots: slots.length, signal },
        (item, slot) => this.readChunk(bundle, item, readers, (slots[slot] as Buffer).subarray(0, item.size)),
        (bytes, item) => {
          if (item.from === 'medium' && !fromMedia.has(item.chunk)) {
            // A file hashed whole as it streams by has every byte checked against its signed digest before it is
            // committed, so its chunks are not hashed a second time (every byte once, not twice); a chunk of a file
            // that is staged over several media is checked now, while its medium is at hand.
            if (!streamed.has(item.file) && hasher.sha256(bytes) !== item.chunk) refuse(damagedChunk(bundle, item.chunk));
            fromMedia.add(item.chunk);
            counts.chunksStaged += 1;
          }
          const hashing = streamed.has(item.file) ? fileHashes.update(item.file, bytes) : undefined;
          const partial = partials.get(item.file) as StagedFile;
          const writing = partial.write(item.offset, bytes);
          if (!bundle.staged.has(item.chunk)) bundle.staged.set(item.chunk, { file: item.file, offset: item.offset });
          meter.advance(item.size);
          // The slot is read into again only when both the write and the hashing thread are done with it.
          return hashing ? Promise.all([writing, hashing]) : writing;
        },
      );
      meter.finish();
      for (const file of files) {
        const partial = partials.get(file.digest) as StagedFile;
        if (!isWhole(file, partial.staged)) continue;
        signal.throwIfAborted();
        const digest = streamed.has(file.digest) ? await fileHashes.digest(file.digest) : await partial.digest(file.size);
        if (digest !== file.digest) {
          // Only on this failure path are the file's chunks read back one by one, to name the damaged one.
          const damaged = await this.firstDamagedChunk(file, partial);
          await partial.close();
          store.discardPartial(file.digest);
          partials.delete(file.digest);
          refuse(damaged ? damagedChunk(bundle, damaged) : `file ${file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
        }
        await partial.commit();
        partials.delete(file.digest);
        counts.filesStored += 1;
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOSPC') {
        throw new OutpostError('STORAGE', 'the data dir filled up during the import; nothing was applied', 'free space in the data dir and import again: what was staged is kept');
      }
      throw error;
    } finally {
      // What was written and synced stays staged for the next medium or the next run.
      await Promise.allSettled([...partials.values()].map((p) => p.close()));
      await readers.close();
      await fileHashes.close();
    }
    return counts;
  }

  /** Reads each byte once: every chunk is hashed and fed into its file's hash in the same pass. */
  async checkContent(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<Omit<VerifyResult, 'bundle'>> {
    const { manifest } = bundle;
    const { hasher } = this.deps;
    const verified = new Set<string>();
    const source = (chunk: string): WorkItem['from'] | undefined => (bundle.present.has(bundle.mediumOf.get(chunk) ?? 0) ? 'medium' : bundle.staged.has(chunk) ? 'staged' : bundle.local.has(chunk) ? 'local' : undefined);
    const work: Array<Pick<WorkItem, 'chunk' | 'size' | 'from'> & { hashed: boolean; last: boolean; file: BundleFile }> = [];
    const fileHashes = hasher.fileHashes();
    let filesVerified = 0;
    for (const file of manifest.files) {
      const complete = file.chunks.every(([c]) => source(c) !== undefined);
      if (complete && file.chunks.length === 0) {
        if (hasher.sha256(new Uint8Array(0)) !== file.digest) refuse(`file ${file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
        filesVerified += 1;
      }
      if (complete && file.chunks.length > 0) fileHashes.begin(file.digest);
      const listed = new Set<string>();
      const first = work.length;
      for (const [chunk, size] of file.chunks) {
        const from = source(chunk);
        // A file that cannot be reassembled yet still has its chunks on the given media checked, once each.
        if (!from || (!complete && (from !== 'medium' || listed.has(chunk)))) continue;
        listed.add(chunk);
        work.push({ chunk, size, from, hashed: complete, last: false, file });
      }
      const last = work[work.length - 1];
      if (complete && last && work.length > first) last.last = true;
    }
    const meter = this.meter(
      jobId,
      'verify',
      work.reduce((s, w) => s + w.size, 0),
    );
    const slots = this.slots(work);
    const readers = this.deps.files.readers();
    try {
      await pipelined(
        work,
        { slots: slots.length, signal },
        (item, slot) => this.readChunk(bundle, item, readers, (slots[slot] as Buffer).subarray(0, item.size)),
        async (bytes, item) => {
          meter.advance(item.size);
          if (!verified.has(item.chunk)) {
            if (hasher.sha256(bytes) !== item.chunk) refuse(damagedChunk(bundle, item.chunk));
            verified.add(item.chunk);
          }
          if (!item.hashed) return;
          const hashing = fileHashes.update(item.file.digest, bytes);
          if (!item.last) return hashing;
          await hashing;
          if ((await fileHashes.digest(item.file.digest)) !== item.file.digest) refuse(`file ${item.file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
          filesVerified += 1;
        },
      );
    } finally {
      await readers.close();
      await fileHashes.close();
    }
    meter.finish();
    return { chunksVerified: verified.size, filesVerified, bytesRead: work.reduce((s, w) => s + w.size, 0) };
  }

  /** The positions of `file` still to write, each with where its bytes can be had now; a position with no source is left for another medium. */
  private workFor(bundle: OpenedBundle, file: BundleFile, staged: ReadonlySet<string>): WorkItem[] {
    const items: WorkItem[] = [];
    let offset = 0;
    file.chunks.forEach(([chunk, size]) => {
      const at = offset;
      offset += size;
      if (staged.has(stagedRange(at, size))) return;
      const from = bundle.present.has(bundle.mediumOf.get(chunk) ?? 0) ? 'medium' : bundle.local.has(chunk) ? 'local' : bundle.staged.has(chunk) ? 'staged' : undefined;
      if (from) items.push({ file: file.digest, offset: at, chunk, size, from });
    });
    return items;
  }

  private async readChunk(bundle: OpenedBundle, item: Pick<WorkItem, 'chunk' | 'size' | 'from'>, readers: RangeReaders, into: Buffer): Promise<Buffer> {
    if (item.from === 'medium') return this.deps.media.reader.readChunk(bundle.present.get(bundle.mediumOf.get(item.chunk) ?? 0) as Medium, item.chunk, item.size, into);
    const at = item.from === 'local' ? bundle.local.get(item.chunk) : bundle.staged.get(item.chunk);
    if (!at) refuse(`chunk ${item.chunk.slice(0, 12)}… is not available`);
    return (await readers.open(item.from, at.file)).read(at.offset, into);
  }

  /** The first chunk of `file` whose staged bytes do not match its digest, or null. */
  private async firstDamagedChunk(file: BundleFile, partial: StagedFile): Promise<string | null> {
    let offset = 0;
    for (const [chunk, size] of file.chunks) {
      if (this.deps.hasher.sha256(await partial.read(offset, size)) !== chunk) return chunk;
      offset += size;
    }
    return null;
  }
}
