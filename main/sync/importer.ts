import { createHash } from 'node:crypto';
import type { BundleManifest, ImportResult, RecordChange, SyncRecord, VerifyResult } from '../../shared/domain/sync.js';
import { formatBytes } from '../../shared/units.js';
import { OutpostError } from '../../shared/errors.js';
import { findMedia, readMediumChunk, type Medium } from './adapters/bundle-media.js';
import { openEnvelope, type OpenedEnvelope } from './core/envelope-check.js';
import { checkManifest } from './core/manifest-checks.js';
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
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function refuse(message: string, hint = 'nothing was imported; ask the sender for a new bundle'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/**
 * Verify, preview, import. Everything is checked before anything is applied;
 * chunks are staged under their digest as they are verified (so a rerun or the
 * next medium never copies them again), files are assembled under temporary
 * names and renamed by digest, and records, acknowledgements and the bundle's
 * sequence are written in one SQLite transaction.
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
    this.checkSpace(manifest);
    const staging = await this.stage(bundle, signal, jobId);
    const missingMedia = this.absentMedia(bundle, needed);
    if (missingMedia.length) return { ...base, ...staging, state: 'incomplete', missingMedia };
    const filesStored = await this.assemble(bundle, signal, jobId);
    signal.throwIfAborted();
    const { changes, acknowledged } = this.apply(bundle);
    this.deps.files.unstage(needed);
    return { ...base, ...staging, changes, acknowledged, filesStored, state: 'applied', missingMedia: [] };
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
    return { ...opened, present, mediumOf, alreadyImported: this.sequenceCheck(manifest, manifestDigest), local: this.deps.repository.localChunks(notCarried) };
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
      if (this.deps.files.isStaged(chunk) || bundle.local.has(chunk)) continue;
      const medium = bundle.mediumOf.get(chunk);
      if (medium === undefined) {
        refuse(`chunk ${chunk.slice(0, 12)}… is on no medium and not held here: the sender thought this site already had it`, 'ask the sender for a full bundle (export without --for)');
      }
      if (!bundle.present.has(medium)) missing.add(medium);
    }
    return [...missing].sort((a, b) => a - b);
  }

  private checkSpace(manifest: BundleManifest): void {
    const needed = manifest.files.filter((f) => !this.deps.files.hasModel(f.digest)).reduce((sum, f) => sum + f.size, 0) + manifest.totals.bytes;
    const free = this.deps.freeBytes();
    if (needed > free) {
      throw new OutpostError('STORAGE', `importing needs up to ${formatBytes(needed)} in the data dir; ${formatBytes(free)} is free`, 'free space in the data dir, then import again; nothing was imported');
    }
  }

  /** Every chunk on the given media, hashed as it is read and staged when its digest matches. */
  private async stage(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<Pick<ImportResult, 'chunksStaged' | 'chunksAlreadyStaged' | 'chunksHeldLocally'>> {
    const counts = { chunksStaged: 0, chunksAlreadyStaged: 0, chunksHeldLocally: bundle.local.size };
    const sizes = chunkSizes(bundle.manifest);
    const todo: Array<[Medium, string, number]> = [];
    for (const [index, medium] of [...bundle.present.entries()].sort(([a], [b]) => a - b)) {
      for (const chunk of bundle.manifest.media[index - 1]?.chunks ?? []) {
        if (this.deps.files.isStaged(chunk)) counts.chunksAlreadyStaged += 1;
        else todo.push([medium, chunk, sizes.get(chunk) ?? 0]);
      }
    }
    const meter = new ProgressMeter(jobId, 'stage', todo.reduce((s, [, , n]) => s + n, 0), Date.now, this.deps.progress);
    for (const [medium, chunk, size] of todo) {
      signal.throwIfAborted();
      const bytes = await readMediumChunk(medium, chunk, size);
      if (sha256(bytes) !== chunk) refuse(`chunk ${chunk.slice(0, 12)}… on medium ${medium.descriptor.index} does not match its digest (damaged or tampered)`);
      await this.deps.files.stage(chunk, bytes);
      counts.chunksStaged += 1;
      meter.advance(size);
    }
    meter.finish();
    return counts;
  }

  private async chunkBytes(bundle: OpenedBundle, chunk: string, size: number, fromMedia: boolean): Promise<Buffer> {
    const medium = fromMedia ? bundle.present.get(bundle.mediumOf.get(chunk) ?? 0) : undefined;
    if (medium && !this.deps.files.isStaged(chunk)) return readMediumChunk(medium, chunk, size);
    if (this.deps.files.isStaged(chunk)) return this.deps.files.readStaged(chunk, size);
    const local = bundle.local.get(chunk);
    if (local) return this.deps.files.readModelRange(local.file, local.offset, size);
    refuse(`chunk ${chunk.slice(0, 12)}… is not available`);
  }

  /** Files into models/ by digest; each is checked against its declared digest before it is renamed into place. */
  private async assemble(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<number> {
    const files = bundle.manifest.files.filter((f) => !this.deps.files.hasModel(f.digest));
    const meter = new ProgressMeter(jobId, 'assemble', files.reduce((s, f) => s + f.size, 0), Date.now, this.deps.progress);
    for (const file of files) {
      const target = await this.deps.files.assembler(file.digest);
      try {
        const hash = createHash('sha256');
        for (const [chunk, size] of file.chunks) {
          signal.throwIfAborted();
          const bytes = await this.chunkBytes(bundle, chunk, size, false);
          hash.update(bytes);
          await target.write(bytes);
          meter.advance(size);
        }
        if (hash.digest('hex') !== file.digest) refuse(`file ${file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
        await target.commit();
      } catch (error) {
        await target.abort();
        throw error;
      }
    }
    meter.finish();
    return files.length;
  }

  /** Reads each byte once: every chunk is hashed and fed into its file's hash in the same pass. */
  private async checkContent(bundle: OpenedBundle, signal: AbortSignal, jobId: string): Promise<Omit<VerifyResult, 'bundle'>> {
    const { manifest } = bundle;
    const verified = new Set<string>();
    let bytesRead = 0;
    let filesVerified = 0;
    const meter = new ProgressMeter(jobId, 'verify', manifest.files.reduce((s, f) => s + f.size, 0), Date.now, this.deps.progress);
    for (const file of manifest.files) {
      const available = file.chunks.every(([c]) => bundle.present.has(bundle.mediumOf.get(c) ?? 0) || this.deps.files.isStaged(c) || bundle.local.has(c));
      const hash = createHash('sha256');
      for (const [chunk, size] of file.chunks) {
        signal.throwIfAborted();
        if (!available && (verified.has(chunk) || !bundle.present.has(bundle.mediumOf.get(chunk) ?? 0))) continue;
        const bytes = await this.chunkBytes(bundle, chunk, size, true);
        bytesRead += size;
        meter.advance(size);
        if (!verified.has(chunk)) {
          if (sha256(bytes) !== chunk) refuse(`chunk ${chunk.slice(0, 12)}… on medium ${bundle.mediumOf.get(chunk) ?? '(local)'} does not match its digest (damaged or tampered)`);
          verified.add(chunk);
        }
        if (available) hash.update(bytes);
      }
      if (available) {
        if (hash.digest('hex') !== file.digest) refuse(`file ${file.digest.slice(0, 12)}… does not reassemble to its declared digest`);
        filesVerified += 1;
      }
    }
    meter.finish();
    return { chunksVerified: verified.size, filesVerified, bytesRead };
  }

  /** The merge of every record against the store (and against earlier records of the same bundle). */
  private plan(records: readonly SyncRecord[]): Array<RecordChange & { apply: boolean; record: SyncRecord; digest: string }> {
    const pending = new Map<string, CurrentValue>();
    return records.map((record) => {
      const id = `${record.kind}\u0000${record.key}`;
      const digest = valueDigest(record.value);
      const decision = decide({ ...record, valueDigest: digest }, pending.get(id) ?? this.deps.repository.current(record.kind, record.key));
      if (decision.apply) pending.set(id, { kind: record.kind, key: record.key, version: record.version, issuer: record.issuer, valueDigest: digest, origin: 'imported' });
      return { ...decision, record, digest };
    });
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

function chunkSizes(manifest: BundleManifest): Map<string, number> {
  return new Map(manifest.files.flatMap((f) => f.chunks.map(([d, s]) => [d, s] as const)));
}
