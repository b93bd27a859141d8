import { createHash } from 'node:crypto';
import { DEFAULT_POLICY } from '../../shared/domain/router.js';
import { PolicySchema, type BundleFile, type BundleManifest, type ImportResult, type RecordChange, type SyncRecord, type VerifyResult } from '../../shared/domain/sync.js';
import { formatBytes } from '../../shared/units.js';
import { OutpostError } from '../../shared/errors.js';
import { findMedia, readMediumChunk, type Medium } from './adapters/bundle-media.js';
import { openEnvelope, type OpenedEnvelope } from './core/envelope-check.js';
import { checkManifest } from './core/manifest-checks.js';
import { stagedRange, type PartialFile, type RangeReaders } from './adapters/file-store.js';
import { pipelined } from './core/pipeline.js';
import { FileHashThread, sharedBuffer } from './adapters/file-hash-thread.js';
import { routerPolicyFrom, sameRouterPolicy } from './core/policy.js';
import { ProgressMeter } from './core/progress.js';
import { decide, valueDigest, type CurrentValue } from './core/records.js';
import { summarize } from './core/summary.js';
import type { SyncDeps } from './service.js';

interface OpenedBundle extends OpenedEnvelope {
  present: Map<number, Medium>;
  alreadyImported: boolean;
  /** Which medium (1-based) carries each chunk. */
  mediumOf: Map<string, number>;
  /** Chunks this installation already holds in models/ (what a delta left out). */
  local: Map<string, { file: string; offset: number }>;
  /** Chunks already written into a partial file in staging/ (an earlier medium or an interrupted run); grows as this run stages. */
  staged: Map<string, { file: string; offset: number }>;
}

/** One position of a file still to write, and where its bytes come from now. */
interface WorkItem {
  file: string;
  offset: number;
  chunk: string;
  size: number;
  from: 'medium' | 'local' | 'staged';
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

/** Reusable buffers for chunks in flight, each as large as the largest chunk listed, in shared memory so the file hashing thread reads them in place. */
function chunkSlots(work: ReadonlyArray<{ size: number }>): Buffer[] {
  const largest = work.reduce((max, w) => Math.max(max, w.size), 1);
  return Array.from({ length: IMPORT_SLOTS }, () => sharedBuffer(largest));
}

/** Chunks in flight: read ahead and written behind while this thread hashes one. */
const IMPORT_SLOTS = 8;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function damagedChunk(bundle: OpenedBundle, chunk: string): string {
  const medium = bundle.mediumOf.get(chunk);
  return `chunk ${chunk.slice(0, 12)}… ${medium === undefined ? 'held locally' : `on medium ${medium}`} does not match its digest (damaged or tampered)`;
}

/** The first chunk of `file` whose staged bytes do not match its digest, or null. */
async function firstDamagedChunk(file: BundleFile, partial: PartialFile): Promise<string | null> {
  let offset = 0;
  for (const [chunk, size] of file.chunks) {
    if (sha256(await partial.read(offset, size)) !== chunk) return chunk;
    offset += size;
  }
  return null;
}

function refuse(message: string, hint = 'nothing was imported; ask the sender for a new bundle'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/**
 * Verify, preview, import. Everything is checked before anything is applied:
 * each chunk is written straight to its place in its file's partial copy in
 * staging/ as it is read (so a rerun or the next medium never copies it
 * again). A file that arrives whole is hashed as it streams and checked
 * against its signed digest; a chunk of a file spread over media is checked
 * against its own digest on arrival. Complete files are renamed by digest
 * into models/ only once checked; records, acknowledgements and the
 * bundle's sequence are written in one SQLite transaction.
 */
export class BundleImporter {
  constructor(private readonly deps: SyncDeps) {}

  async verify(paths: readonly string[], signal: AbortSignal, jobId: string): Promise<VerifyResult> {
    const bundle = this.open(paths);
    const missing = this.absentMedia(bundle, new Set(bundle.mediumOf.keys()));
    if (missing.length) refuse(`medium ${missing.join(', ')} of ${bundle.manifest.media.length} is missing`, 'name every medium of the bundle (or import them one at a time with `outpost bundle import`)');
    const counts = await this.checkContent(bundle, signal, jobId);
    return { bundle: summarize(bundle.manifest, bundle.manifestDigest), ...counts };
  }

  async import(paths: readonly string[], dryRun: boolean, signal: AbortSignal, jobId: string): Promise<ImportResult> {
    const bundle = this.open(paths);
    const { manifest } = bundle;
    const base = {
      bundle: summarize(manifest, bundle.manifestDigest),
      changes: this.plan(manifest.records).map(({ apply: _apply, ...change }) => change),
      keyRotation: bundle.rotation ? { from: bundle.rotation.from, to: bundle.rotation.to } : null,
      acknowledged: [] as number[],
      chunksStaged: 0,
      chunksAlreadyStaged: 0,
      chunksHeldLocally: 0,
      filesStored: 0,
    };
    if (bundle.alreadyImported) return { ...base, state: 'unchanged', missingMedia: [] };
    const needed = this.neededChunks(manifest);
    if (dryRun) {
      await this.checkContent(bundle, signal, jobId);
      return { ...base, state: 'preview', missingMedia: this.absentMedia(bundle, needed) };
    }
    this.absentMedia(bundle, needed);
    this.checkSpace(manifest);
    const staging = await this.stageAndAssemble(bundle, signal, jobId);
    const missingMedia = this.absentMedia(bundle, this.neededChunks(manifest));
    if (missingMedia.length) return { ...base, ...staging, state: 'incomplete', missingMedia };
    signal.throwIfAborted();
    const { changes, acknowledged } = this.apply(bundle);
    return { ...base, ...staging, changes, acknowledged, state: 'applied', missingMedia: [] };
  }

  private open(paths: readonly string[]): OpenedBundle {
    const media = findMedia(paths);
    const digests = new Set(media.map((m) => sha256(m.envelope)));
    if (digests.size > 1) refuse('the media given belong to different bundles (their signed manifests differ)', 'import the media of one bundle at a time');
    const first = media[0];
    if (!first) refuse('no medium was given');
    const me = this.deps.identity.show().siteId;
    const opened = openEnvelope(first.envelope, { me, now: this.deps.now(), peer: (id) => this.deps.repository.peer(id) });
    const { manifest, manifestDigest } = opened;
    const present = new Map<number, Medium>();
    for (const medium of media) {
      const { descriptor } = medium;
      if (descriptor.manifestDigest !== manifestDigest) refuse(`${medium.dir}/medium.json belongs to another bundle (mix-and-match)`);
      if (descriptor.count !== manifest.media.length || descriptor.index > descriptor.count) refuse(`${medium.dir}/medium.json says medium ${descriptor.index} of ${descriptor.count}; the manifest has ${manifest.media.length}`);
      present.set(descriptor.index, medium);
    }
    checkManifest(manifest);
    const mediumOf = new Map<string, number>();
    manifest.media.forEach((m, i) => m.chunks.forEach((chunk) => mediumOf.set(chunk, i + 1)));
    const notCarried = new Set(manifest.files.flatMap((f) => f.chunks.map(([d]) => d)).filter((d) => !mediumOf.has(d)));
    const staged = this.deps.files.stagedChunks(manifest.files.filter((f) => !this.deps.files.hasModel(f.digest)));
    return { ...opened, present, mediumOf, staged, alreadyImported: this.sequenceCheck(manifest, manifestDigest), local: this.deps.repository.localChunks(notCarried) };
  }

  /** TUF-style rollback protection: each issuer's sequence only moves forward; the same bundle again is a no-op. */
  private sequenceCheck(manifest: BundleManifest, manifestDigest: string): boolean {
    const seen = this.deps.repository.seen(manifest.issuer.siteId);
    const same = seen.find((s) => s.sequence === manifest.sequence);
    if (same) {
      if (same.manifestDigest === manifestDigest) return true;
      refuse(`sequence ${manifest.sequence} from ${manifest.issuer.siteId} was already imported with different contents`, 'two different bundles with one sequence number: report this to HQ; nothing was imported');
    }
    const newest = seen.reduce((max, s) => Math.max(max, s.sequence), 0);
    if (newest > manifest.sequence) {
      refuse(
        `bundle ${manifest.sequence} from ${manifest.issuer.siteId} is older than bundle ${newest}, already imported: an old bundle cannot roll anything back`,
        'import the newest bundle from that peer instead; nothing was imported',
      );
    }
    return false;
  }

  private neededChunks(manifest: BundleManifest): Set<string> {
    return new Set(manifest.files.filter((f) => !this.deps.files.hasModel(f.digest)).flatMap((f) => f.chunks.map(([d]) => d)));
  }

  /** Media (1-based) still needed for chunks that are neither staged nor held locally. */
  private absentMedia(bundle: OpenedBundle, needed: Set<string>): number[] {
    const missing = new Set<number>();
    for (const chunk of needed) {
      if (bundle.staged.has(chunk) || bundle.local.has(chunk)) continue;
      const medium = bundle.mediumOf.get(chunk);
      if (medium === undefined) {
        refuse(`chunk ${chunk.slice(0, 12)}… is on no medium and not held here: the sender thought this site already had it`, 'ask the sender for a full bundle (export without --for)');
      }
      if (!bundle.present.has(medium)) missing.add(medium);
    }
    return [...missing].sort((a, b) => a - b);
  }

  /** Room for the files this import assembles (chunks are written once, straight into them). */
  private checkSpace(manifest: BundleManifest): void {
    const needed = manifest.files.filter((f) => !this.deps.files.hasModel(f.digest)).reduce((sum, f) => sum + f.size, 0);
    const free = this.deps.freeBytes();
    if (needed > free) {
      throw new OutpostError('STORAGE', `importing needs up to ${formatBytes(needed)} in the data dir; ${formatBytes(free)} is free`, 'free space in the data dir, then import again; nothing was imported');
    }
  }

  /**
   * Verify and stage in one pass: every chunk of a file still needed is read
   * once (from a medium given now, from models/, or from another staged
   * position), checked against its digest when it comes from a medium, and
   * written straight to its offset in the file's partial copy. A file whose
   * chunks are all there is checked against its own digest (hashed as it
   * streamed by, or read back when it was staged over several runs) and
   * renamed into models/.
   */
  private async stageAndAssemble(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<Pick<ImportResult, 'chunksStaged' | 'chunksAlreadyStaged' | 'chunksHeldLocally' | 'filesStored'>> {
    const files = bundle.manifest.files.filter((f) => !this.deps.files.hasModel(f.digest));
    for (const file of bundle.manifest.files) if (this.deps.files.hasModel(file.digest)) this.deps.files.discardPartial(file.digest);
    const counts = { chunksStaged: 0, chunksAlreadyStaged: bundle.staged.size, chunksHeldLocally: bundle.local.size, filesStored: 0 };
    const partials = new Map<string, PartialFile>();
    // Files hashed as they stream by, on the second thread.
    const streamed = new Set<string>();
    const fileHashes = new FileHashThread();
    const readers = this.deps.files.readers();
    const fromMedia = new Set<string>();
    const work: WorkItem[] = [];
    try {
      for (const file of files) {
        const partial = await this.deps.files.partial(file.digest, file.size);
        partials.set(file.digest, partial);
        const items = this.workFor(bundle, file, partial.staged);
        // A file hashed as it streams by must be written whole, in order, in this run.
        if (partial.staged.size === 0 && items.length === file.chunks.length) {
          streamed.add(file.digest);
          fileHashes.begin(file.digest);
        }
        work.push(...items);
      }
      const meter = new ProgressMeter(jobId, 'stage', work.reduce((s, w) => s + w.size, 0), Date.now, this.deps.progress);
      const slots = chunkSlots(work);
      await pipelined(
        work,
        { slots: slots.length, signal },
        (item, slot) => this.readChunk(bundle, item, readers, (slots[slot] as Buffer).subarray(0, item.size)),
        (bytes, item) => {
          if (item.from === 'medium' && !fromMedia.has(item.chunk)) {
            // A file hashed whole as it streams by has every byte checked against its signed digest before it is
            // committed, so its chunks are not hashed a second time (every byte once, not twice); a chunk of a file
            // that is staged over several media is checked now, while its medium is at hand.
            if (!streamed.has(item.file) && sha256(bytes) !== item.chunk) refuse(damagedChunk(bundle, item.chunk));
            fromMedia.add(item.chunk);
            counts.chunksStaged += 1;
          }
          const hashing = streamed.has(item.file) ? fileHashes.update(item.file, bytes) : undefined;
          const partial = partials.get(item.file) as PartialFile;
          const writing = partial.write(item.offset, bytes);
          if (!bundle.staged.has(item.chunk)) bundle.staged.set(item.chunk, { file: item.file, offset: item.offset });
          meter.advance(item.size);
          // The slot is read into again only when both the write and the hashing thread are done with it.
          return hashing ? Promise.all([writing, hashing]) : writing;
        },
      );
      meter.finish();
      for (const file of files) {
        const partial = partials.get(file.digest) as PartialFile;
        if (!isWhole(file, partial.staged)) continue;
        signal.throwIfAborted();
        const digest = streamed.has(file.digest) ? await fileHashes.digest(file.digest) : await partial.digest(file.size);
        if (digest !== file.digest) {
          // Only on this failure path are the file's chunks read back one by one, to name the damaged one.
          const damaged = await firstDamagedChunk(file, partial);
          await partial.close();
          this.deps.files.discardPartial(file.digest);
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
    if (item.from === 'medium') return readMediumChunk(bundle.present.get(bundle.mediumOf.get(item.chunk) ?? 0) as Medium, item.chunk, item.size, into);
    const at = item.from === 'local' ? bundle.local.get(item.chunk) : bundle.staged.get(item.chunk);
    if (!at) refuse(`chunk ${item.chunk.slice(0, 12)}… is not available`);
    return (await readers.open(item.from, at.file)).read(at.offset, into);
  }

  /** Reads each byte once: every chunk is hashed and fed into its file's hash in the same pass. */
  private async checkContent(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<Omit<VerifyResult, 'bundle'>> {
    const { manifest } = bundle;
    const verified = new Set<string>();
    const source = (chunk: string): WorkItem['from'] | undefined =>
      bundle.present.has(bundle.mediumOf.get(chunk) ?? 0) ? 'medium' : bundle.staged.has(chunk) ? 'staged' : bundle.local.has(chunk) ? 'local' : undefined;
    const work: Array<Pick<WorkItem, 'chunk' | 'size' | 'from'> & { hashed: boolean; last: boolean; file: BundleFile }> = [];
    const fileHashes = new FileHashThread();
    let filesVerified = 0;
    for (const file of manifest.files) {
      const complete = file.chunks.every(([c]) => source(c) !== undefined);
      if (complete && file.chunks.length === 0) {
        if (sha256(new Uint8Array(0)) !== file.digest) refuse(`file ${file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
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
    const meter = new ProgressMeter(jobId, 'verify', work.reduce((s, w) => s + w.size, 0), Date.now, this.deps.progress);
    const slots = chunkSlots(work);
    const readers = this.deps.files.readers();
    try {
      await pipelined(
        work,
        { slots: slots.length, signal },
        (item, slot) => this.readChunk(bundle, item, readers, (slots[slot] as Buffer).subarray(0, item.size)),
        async (bytes, item) => {
          meter.advance(item.size);
          if (!verified.has(item.chunk)) {
            if (sha256(bytes) !== item.chunk) refuse(damagedChunk(bundle, item.chunk));
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

  /** The merge of every record against the store (and against earlier records of the same bundle). */
  private plan(records: readonly SyncRecord[]): Array<RecordChange & { apply: boolean; record: SyncRecord; digest: string }> {
    const pending = new Map<string, CurrentValue>();
    return records.map((record) => {
      const id = `${record.kind}\u0000${record.key}`;
      const digest = valueDigest(record.value);
      const current = pending.get(id) ?? this.deps.repository.current(record.kind, record.key);
      const decision = record.kind === 'policy' && !pending.has(id) ? this.decidePolicy(record, digest, current) : decide({ ...record, valueDigest: digest }, current);
      if (decision.apply) pending.set(id, { kind: record.kind, key: record.key, version: record.version, issuer: record.issuer, valueDigest: digest, origin: 'imported' });
      return { ...decision, record, digest };
    });
  }

  /**
   * HQ's policy record owns the router's policy. A router policy that differs
   * from what the stored record (or, before any, the defaults) gives was edited
   * here: it is a local edit on top of that version, so a newer HQ version
   * replaces it (a conflict, reported) and an older or equal one leaves it.
   */
  private decidePolicy(record: SyncRecord, digest: string, current: CurrentValue | undefined): RecordChange & { apply: boolean } {
    const decision = decide({ ...record, valueDigest: digest }, current);
    const stored = current ? PolicySchema.safeParse(this.deps.repository.records('policy').find((r) => r.key === record.key)?.value) : undefined;
    const expected = stored?.success ? routerPolicyFrom(stored.data) : DEFAULT_POLICY;
    if (sameRouterPolicy(this.deps.routerPolicy.read(), expected)) return decision;
    const base = `the router policy edited here (on version ${current?.version ?? 0})`;
    if (decision.apply) return { ...decision, change: 'conflict', resolution: `${base} is replaced: HQ's version ${record.version} is newer` };
    return { ...decision, resolution: `${decision.resolution ?? `version ${record.version} is already here`}; ${base} is kept` };
  }

  private apply(bundle: OpenedBundle): { changes: RecordChange[]; acknowledged: number[] } {
    const { manifest, manifestDigest } = bundle;
    const repository = this.deps.repository;
    const at = this.deps.now().toISOString();
    const me = this.deps.identity.show().siteId;
    return repository.transaction(() => {
      // Another process may have imported it since the checks: decide again inside the transaction.
      if (this.sequenceCheck(manifest, manifestDigest)) throw new OutpostError('CONFLICT', 'this bundle was imported by another Outpost process meanwhile', 'nothing more to do');
      const planned = this.plan(manifest.records);
      for (const p of planned) {
        if (p.apply) repository.putRecord({ ...p.record, valueDigest: p.digest, origin: 'imported' }, at);
        // The router process notices the config version that this write moves, and reloads.
        if (p.apply && p.record.kind === 'policy') this.deps.routerPolicy.write(routerPolicyFrom(p.record.value));
      }
      for (const file of manifest.files) repository.putStoredFile(file.digest, file.size, file.chunks, at);
      repository.markSeen(manifest.issuer.siteId, manifest.sequence, manifestDigest, at);
      const acknowledged = manifest.acknowledgements
        .filter((ack) => ack.issuer === me && repository.acknowledge(ack.sequence, ack.manifestDigest, manifest.issuer.siteId, at))
        .map((ack) => ack.sequence);
      repository.addPeerChunks(manifest.issuer.siteId, manifest.files.flatMap((f) => f.chunks.map(([d]) => d)));
      if (bundle.rotation) repository.rotatePeerKey(manifest.issuer.siteId, bundle.rotation.from, { publicKey: bundle.rotation.publicKey, fingerprint: bundle.rotation.to }, at);
      const changes = planned.map(({ apply: _a, record: _r, digest: _d, ...change }) => change);
      const count = (kind: RecordChange['change']) => changes.filter((c) => c.change === kind).length;
      repository.recordExchange({
        direction: 'import',
        at,
        peer: manifest.issuer.siteId,
        sequence: manifest.sequence,
        bytes: manifest.totals.bytes,
        outcome: 'applied',
        summary: `${count('new')} new, ${count('update')} updated, ${count('superseded')} superseded, ${count('conflict')} conflicts`,
        digest: manifestDigest,
      });
      return { changes, acknowledged };
    });
  }
}

