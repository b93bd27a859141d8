import { BUNDLE_PAYLOAD_TYPE, KINDS_BY_ROLE, SyncRecordSchema, type BundleFile, type BundleManifest, type ExportResult, type SyncRecord } from '../../../shared/domain/sync.js';
import type { SiteIdentity } from '../../../shared/domain/identity.js';
import type { ExportPlan } from '../../../shared/domain/drives.js';
import { OutpostError } from '../../../shared/errors.js';
import { envelopeFor } from './dsse.js';
import { rotationsFromHistory } from './key-chain.js';
import { fitOnDrives, type DriveFit, type FitTarget } from './drives.js';
import { pipelined } from './pipeline.js';
import { ProgressMeter } from './progress.js';
import { summarize } from './summary.js';
import type { SyncDeps } from './ports.js';

/** How long a bundle may wait in a drawer before it is refused as stale (TUF's freeze attack). */
export const BUNDLE_VALIDITY_DAYS = 30;

/** Chunks in flight: read ahead and written behind while this thread hashes one. */
const EXPORT_SLOTS = 4;

export interface DriveChoice {
  mount: string;
  label: string;
  free: number;
}

/** A typed directory (`to`), or drives by mount point, one medium each (`drives`). */
export interface ExportRequest {
  to?: string | undefined;
  drives?: DriveChoice[] | undefined;
  for?: string | undefined;
  maxMediumSize?: number | undefined;
}

interface Draft {
  identity: SiteIdentity;
  sequence: number;
  records: SyncRecord[];
  journalUpto: number;
  files: BundleFile[];
  fileChunks: Array<[string, number]>;
  carried: Array<[string, number]>;
  manifest: Omit<BundleManifest, 'media' | 'totals'>;
}

/**
 * Writes a signed bundle: records, the files they name as content-defined
 * chunks (leaving out what the peer acknowledged when `for` is given), split
 * across media when asked or across drives when one is too small. Memory
 * holds four chunks whatever the bundle's size.
 */
export class BundleExporter {
  constructor(private readonly deps: SyncDeps) {}

  /** The bundle's size against the targets' free space, computed without writing or recording anything. */
  plan(request: ExportRequest): ExportPlan {
    const fit = this.fit(this.draft(request), request);
    const chosen = this.targets(request, this.deps.repository.nextSequence());
    return {
      bundleBytes: fit.bundleBytes,
      freeBytes: chosen.reduce((sum, t) => sum + t.free, 0),
      targets: fit.targets.map(({ label, path, free }) => ({ label, path, free })),
      fits: fit.fits,
      mediaNeeded: fit.fits ? fit.media.length : fit.mediaNeeded,
      advice: fit.advice,
    };
  }

  async export(request: ExportRequest, signal: AbortSignal, jobId: string): Promise<ExportResult> {
    const draft = this.draft(request);
    const { identity, sequence, records, journalUpto, files, fileChunks, carried } = draft;
    const recipient = draft.manifest.recipient;
    const fit = this.fit(draft, request);
    if (!fit.fits) throw new OutpostError('INVALID_INPUT', fit.advice, "choose a larger drive or more drives (the Sync page shows each one's free space); nothing was written");
    const { media } = fit;
    const totals = { bytes: carried.reduce((sum, [, size]) => sum + size, 0), chunks: carried.length };
    const manifest: BundleManifest = { ...draft.manifest, media: media.map((chunks) => ({ chunks })), totals };
    const envelope = Buffer.from(`${JSON.stringify(envelopeFor(BUNDLE_PAYLOAD_TYPE, Buffer.from(JSON.stringify(manifest)), identity.signingKey.fingerprint, this.deps.sign))}\n`);
    const manifestDigest = this.deps.hasher.sha256(envelope);
    const driveLabels = request.drives ? fit.targets.map((t) => t.label) : undefined;

    const sources = chunkSources(files);
    const sizes = new Map(carried);
    const writer = request.drives ? this.deps.media.writer.onDrives(fit.targets.map((t) => t.path)) : this.deps.media.writer.create(request.to ?? '');
    const meter = new ProgressMeter(jobId, 'export', totals.bytes, () => this.deps.clock.now().getTime(), this.deps.progress);
    const mediaPaths: string[] = [];
    const readers = this.deps.files.readers();
    const largest = carried.reduce((max, [, size]) => Math.max(max, size), 1);
    const slots = Array.from({ length: EXPORT_SLOTS }, () => Buffer.allocUnsafeSlow(largest));
    try {
      for (const [i, chunks] of media.entries()) {
        const { dir, finalDir } = writer.medium(i + 1, media.length);
        let bytes = 0;
        await pipelined(
          chunks,
          { slots: EXPORT_SLOTS, signal },
          async (digest, slot) => {
            const source = sources.get(digest);
            const size = sizes.get(digest);
            if (!source || size === undefined) throw new Error(`no source for chunk ${digest}`);
            return (await readers.open('local', source.file)).read(source.offset, (slots[slot] as Buffer).subarray(0, size));
          },
          (data, digest) => {
            // Our own store is checked too: a damaged models/ file must not travel to a site as a valid-looking bundle.
            if (this.deps.hasher.sha256(data) !== digest) {
              throw new OutpostError('STORAGE', `models/${sources.get(digest)?.file.slice(0, 12)}… no longer matches its recorded chunks`, 'the data dir was damaged; release that model again');
            }
            bytes += data.length;
            meter.advance(data.length);
            return writer.writeChunk(dir, digest, data);
          },
        );
        writer.writeMeta(dir, envelope, { type: 'outpost.bundle-medium/v1', manifestDigest, index: i + 1, count: media.length, bytes, ...(driveLabels ? { driveLabels } : {}) });
        mediaPaths.push(finalDir);
      }
      signal.throwIfAborted();
      await writer.finalize();
    } catch (error) {
      writer.discard();
      throw error;
    } finally {
      await readers.close();
    }
    meter.finish();
    const at = this.deps.clock.now().toISOString();
    const bundle = summarize(manifest, manifestDigest);
    this.deps.repository.transaction(() => {
      this.deps.repository.recordSent({ sequence, recipient, manifestDigest, chunks: uniqueChunks(fileChunks).map(([d]) => d), journalUpto }, at);
      this.deps.repository.recordExchange({
        direction: 'export',
        at,
        peer: recipient,
        sequence,
        bytes: totals.bytes,
        outcome: 'exported',
        summary: `${records.length} records, ${files.length} files, ${media.length} media`,
        digest: manifestDigest,
      });
    });
    const targets = fit.targets.map(({ label, path, free }) => ({ label, path, free }));
    return { bundle, path: writer.target, mediaPaths, chunksLeftOut: uniqueChunks(fileChunks).length - carried.length, bytesWritten: totals.bytes, safeToRemove: true, targets };
  }

  /** What the bundle would carry; reads only, so a plan or a refused export leaves the sequence unused. */
  private draft(request: ExportRequest): Draft {
    const identity = this.deps.identity.show();
    const recipient = this.recipientFor(identity, request.for);
    const sequence = this.deps.repository.nextSequence();
    const { records, journalUpto } = this.collectRecords(identity, recipient, sequence);
    const files = this.filesOf(records);
    const fileChunks = files.flatMap((f) => f.chunks);
    const held = request.for ? this.deps.repository.peerHolds(request.for) : new Set<string>();
    const carried = uniqueChunks(fileChunks).filter(([digest]) => !held.has(digest));
    const now = this.deps.clock.now();
    const manifest: Omit<BundleManifest, 'media' | 'totals'> = {
      type: 'outpost.bundle-manifest/v1',
      issuer: { siteId: identity.siteId, role: identity.role, keyFingerprint: identity.signingKey.fingerprint },
      recipient,
      sequence,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + BUNDLE_VALIDITY_DAYS * 86_400_000).toISOString(),
      records,
      files,
      acknowledgements: recipient === '*' ? this.deps.repository.allSeen() : this.deps.repository.seen(recipient).map((s) => ({ issuer: recipient, ...s })),
      keyRotations: rotationsFromHistory(identity.siteId, identity.history),
    };
    return { identity, sequence, records, journalUpto, files, fileChunks, carried, manifest };
  }

  /** Each medium holds the whole envelope: the draft as base64, plus 68 bytes per chunk digest listed, plus the descriptor. */
  private fit(draft: Draft, request: ExportRequest): DriveFit {
    const overhead = Math.ceil(((JSON.stringify(draft.manifest).length + 68 * draft.carried.length + 1024) * 4) / 3) + 64 * 1024;
    return fitOnDrives(draft.carried, overhead, this.targets(request, draft.sequence), request.maxMediumSize);
  }

  /** A drive gets the bundle in a folder named by issuer and sequence; a typed directory is the bundle itself. */
  private targets(request: ExportRequest, sequence: number): FitTarget[] {
    if (request.drives?.length) {
      const folder = `outpost-${this.deps.identity.show().siteId}-${sequence}`;
      return request.drives.map((d) => ({ label: d.label, path: `${d.mount.replace(/\/+$/, '')}/${folder}`, free: d.free }));
    }
    if (!request.to) throw new OutpostError('INVALID_INPUT', 'no destination: neither a directory nor a drive was given', 'type a directory or choose a drive');
    return [{ label: null, path: request.to, free: this.deps.media.writer.freeBytes(request.to) }];
  }

  private recipientFor(identity: SiteIdentity, requested: string | undefined): string {
    if (requested) {
      if (!this.deps.repository.peer(requested)) throw new OutpostError('NOT_FOUND', `${requested} is not a trusted peer`, 'pin it first with `outpost trust add <its trust file>`');
      return requested;
    }
    if (identity.role === 'hq') return '*';
    const hqs = this.deps.repository.peers().filter((p) => p.role === 'hq');
    const only = hqs[0];
    if (hqs.length !== 1 || !only) {
      throw new OutpostError('PRECONDITION', hqs.length === 0 ? 'this site trusts no HQ yet' : `this site trusts ${hqs.length} HQs`, hqs.length === 0 ? "pin HQ with `outpost trust add <HQ's trust file>`" : 'name one with --for');
    }
    return only.siteId;
  }

  /** HQ sends every current release (the newest version wins anyway); a site reports what HQ has not acknowledged. */
  private collectRecords(identity: SiteIdentity, recipient: string, sequence: number): { records: SyncRecord[]; journalUpto: number } {
    const kinds = KINDS_BY_ROLE[identity.role];
    const issued = this.deps.repository
      .records()
      .filter((r) => r.origin === 'local' && r.issuer === identity.siteId && (kinds as readonly string[]).includes(r.kind))
      .map((r) => SyncRecordSchema.parse({ kind: r.kind, key: r.key, version: r.version, issuer: r.issuer, value: r.value }));
    if (identity.role === 'hq') return { records: issued, journalUpto: 0 };
    const since = this.deps.repository.acknowledgedJournal(recipient);
    const entries = this.deps.reports.journalSince(since);
    const last = entries[entries.length - 1];
    const reports: SyncRecord[] = [{ kind: 'site.inventory', key: identity.siteId, version: sequence, issuer: identity.siteId, value: { nodes: this.deps.reports.inventory() } }];
    if (last) reports.push({ kind: 'site.journal', key: `${identity.siteId}:${since + 1}-${last.id}`, version: 1, issuer: identity.siteId, value: { entries } });
    const { telemetry, deployments } = this.deps.reports.operations(recipient, sequence);
    reports.push({ kind: 'site.deployments', key: identity.siteId, version: sequence, issuer: identity.siteId, value: { deployments } });
    const calibration = this.deps.calibration?.siteRecords() ?? [];
    if (calibration.length) reports.push({ kind: 'site.calibration', key: identity.siteId, version: sequence, issuer: identity.siteId, value: { records: calibration } });
    if (telemetry.series.length) reports.push({ kind: 'site.telemetry', key: `${identity.siteId}:${telemetry.since}-${telemetry.upto}`, version: 1, issuer: identity.siteId, value: telemetry });
    return { records: [...issued, ...reports], journalUpto: last?.id ?? since };
  }

  private filesOf(records: SyncRecord[]): BundleFile[] {
    const files = new Map<string, BundleFile>();
    for (const record of records) {
      if (record.kind !== 'model') continue;
      for (const file of record.value.files) {
        const stored = this.deps.repository.storedFile(file.digest);
        if (!stored || !this.deps.files.hasModel(file.digest)) {
          throw new OutpostError('STORAGE', `model ${record.key} names ${file.path} (${file.digest.slice(0, 12)}…) but models/ does not hold it`, 'release the model again with `outpost release model add`');
        }
        files.set(file.digest, { digest: file.digest, size: stored.size, chunks: stored.chunks });
      }
    }
    return [...files.values()];
  }
}

function uniqueChunks(chunks: ReadonlyArray<readonly [string, number]>): Array<[string, number]> {
  const seen = new Map<string, number>();
  for (const [digest, size] of chunks) if (!seen.has(digest)) seen.set(digest, size);
  return [...seen.entries()];
}

function chunkSources(files: BundleFile[]): Map<string, { file: string; offset: number }> {
  const sources = new Map<string, { file: string; offset: number }>();
  for (const file of files) {
    let offset = 0;
    for (const [digest, size] of file.chunks) {
      if (!sources.has(digest)) sources.set(digest, { file: file.digest, offset });
      offset += size;
    }
  }
  return sources;
}
