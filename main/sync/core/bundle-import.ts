import { DEFAULT_POLICY } from '../../../shared/domain/router.js';
import { PolicySchema, type BundleManifest, type ImportResult, type RecordChange, type SyncRecord, type VerifyResult } from '../../../shared/domain/sync.js';
import { formatBytes } from '../../../shared/units.js';
import { OutpostError } from '../../../shared/errors.js';
import type { NextMedium } from '../../../shared/domain/drives.js';
import { nextMediumPrompt } from './drives.js';
import { openEnvelope } from './envelope-check.js';
import { ImportPasses, refuse, type OpenedBundle } from './import-passes.js';
import { checkManifest } from './manifest-checks.js';
import type { Medium, SyncDeps } from './ports.js';
import { routerPolicyFrom, sameRouterPolicy } from './policy.js';
import { decide, valueDigest, type CurrentValue } from './records.js';
import { summarize } from './summary.js';

type PlannedChange = RecordChange & { apply: boolean; record: SyncRecord; digest: string };

/**
 * Verify, preview, import. Everything is checked before anything is applied:
 * the envelope (trust, signature, recipient, expiry), the manifest and the
 * issuer's sequence before a chunk is read; the space before a byte is
 * staged; every chunk and file digest before a file enters models/. Records,
 * acknowledgements and the bundle's sequence are then written in one
 * transaction of the store.
 */
export class BundleImporter {
  private readonly passes: ImportPasses;

  constructor(private readonly deps: SyncDeps) {
    this.passes = new ImportPasses(deps);
  }

  async verify(paths: readonly string[], signal: AbortSignal, jobId: string): Promise<VerifyResult> {
    const bundle = this.open(paths);
    const missing = this.absentMedia(bundle, new Set(bundle.mediumOf.keys()));
    if (missing.length) refuse(`medium ${missing.join(', ')} of ${bundle.manifest.media.length} is missing`, 'name every medium of the bundle (or import them one at a time with `outpost bundle import`)');
    const counts = await this.passes.checkContent(bundle, signal, jobId);
    return { bundle: summarize(bundle.manifest, bundle.manifestDigest), ...counts };
  }

  async import(paths: readonly string[], dryRun: boolean, signal: AbortSignal, jobId: string): Promise<ImportResult> {
    const bundle = this.open(paths);
    const { manifest } = bundle;
    const base = {
      bundle: summarize(manifest, bundle.manifestDigest),
      changes: this.plan(manifest.records).map(shownChange),
      keyRotation: bundle.rotation ? { from: bundle.rotation.from, to: bundle.rotation.to } : null,
      acknowledged: [] as number[],
      chunksStaged: 0,
      chunksAlreadyStaged: 0,
      chunksHeldLocally: 0,
      filesStored: 0,
    };
    if (bundle.alreadyImported) return { ...base, state: 'unchanged', missingMedia: [], nextMedium: null };
    const needed = this.neededChunks(manifest);
    if (dryRun) {
      await this.passes.checkContent(bundle, signal, jobId);
      const missing = this.absentMedia(bundle, needed);
      return { ...base, state: 'preview', missingMedia: missing, nextMedium: nextMedium(bundle, missing) };
    }
    this.absentMedia(bundle, needed);
    this.checkSpace(manifest);
    const staging = await this.passes.stageAndAssemble(bundle, signal, jobId);
    const missingMedia = this.absentMedia(bundle, this.neededChunks(manifest));
    if (missingMedia.length) return { ...base, ...staging, state: 'incomplete', missingMedia, nextMedium: nextMedium(bundle, missingMedia) };
    signal.throwIfAborted();
    const { changes, acknowledged } = this.apply(bundle);
    return { ...base, ...staging, changes, acknowledged, state: 'applied', missingMedia: [], nextMedium: null };
  }

  private open(paths: readonly string[]): OpenedBundle {
    const { files, hasher, repository } = this.deps;
    const media = this.deps.media.reader.find(paths);
    const digests = new Set(media.map((m) => hasher.sha256(m.envelope)));
    if (digests.size > 1) refuse('the media given belong to different bundles (their signed manifests differ)', 'import the media of one bundle at a time');
    const first = media[0];
    if (!first) refuse('no medium was given');
    const me = this.deps.identity.show().siteId;
    const opened = openEnvelope(first.envelope, { me, now: this.deps.clock.now(), peer: (id) => repository.peer(id) });
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
    const staged = files.stagedChunks(manifest.files.filter((f) => !files.hasModel(f.digest)));
    return { ...opened, present, mediumOf, staged, alreadyImported: this.sequenceCheck(manifest, manifestDigest), local: repository.localChunks(notCarried) };
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
      refuse(`bundle ${manifest.sequence} from ${manifest.issuer.siteId} is older than bundle ${newest}, already imported: an old bundle cannot roll anything back`, 'import the newest bundle from that peer instead; nothing was imported');
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

  /** The merge of every record against the store (and against earlier records of the same bundle). */
  private plan(records: readonly SyncRecord[]): PlannedChange[] {
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
    const at = this.deps.clock.now().toISOString();
    const me = this.deps.identity.show().siteId;
    return repository.transaction(() => {
      // Another process may have imported it since the checks: decide again inside the transaction.
      if (this.sequenceCheck(manifest, manifestDigest)) throw new OutpostError('CONFLICT', 'this bundle was imported by another Outpost process meanwhile', 'nothing more to do');
      const planned = this.plan(manifest.records);
      for (const p of planned) {
        if (p.apply) repository.putRecord({ ...p.record, valueDigest: p.digest, origin: 'imported' }, at);
        // The router process notices the config version that this write moves, and reloads.
        if (p.apply && p.record.kind === 'policy') this.deps.routerPolicy.write(routerPolicyFrom(p.record.value));
        if (p.apply && p.record.kind === 'calibration' && this.deps.calibration) p.resolution = calibrationOutcome(this.deps.calibration.applyFromHq(p.record.value.records));
      }
      for (const file of manifest.files) repository.putStoredFile(file.digest, file.size, file.chunks, at);
      repository.markSeen(manifest.issuer.siteId, manifest.sequence, manifestDigest, at);
      const acknowledged = manifest.acknowledgements.filter((ack) => ack.issuer === me && repository.acknowledge(ack.sequence, ack.manifestDigest, manifest.issuer.siteId, at)).map((ack) => ack.sequence);
      repository.addPeerChunks(
        manifest.issuer.siteId,
        manifest.files.flatMap((f) => f.chunks.map(([d]) => d)),
      );
      if (bundle.rotation) repository.rotatePeerKey(manifest.issuer.siteId, bundle.rotation.from, { publicKey: bundle.rotation.publicKey, fingerprint: bundle.rotation.to }, at);
      const changes = planned.map(shownChange);
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

/** What HQ's calibration did here, record by record, for the import's report. */
function calibrationOutcome(outcomes: ReadonlyArray<{ key: string; outcome: string; reason: string }>): string | null {
  return outcomes.length
    ? outcomes
        .map((o) => `${o.key}: ${o.outcome} (${o.reason})`)
        .join('; ')
        .slice(0, 4000)
    : null;
}

/** The first medium still needed, named by the label of the drive the exporter wrote it to (any present medium knows them all). */
function nextMedium(bundle: OpenedBundle, missing: readonly number[]): NextMedium | null {
  const index = missing[0];
  if (index === undefined) return null;
  const count = bundle.manifest.media.length;
  const labels = [...bundle.present.values()].find((m) => m.descriptor.driveLabels)?.descriptor.driveLabels;
  const label = labels?.[index - 1] ?? null;
  return { index, count, label, manifestDigest: bundle.manifestDigest, prompt: nextMediumPrompt(index, count, label) };
}

/** What the preview and the result show of a change; a model release says HQ's version, size and digest. */
function shownChange({ apply: _apply, record, digest: _digest, ...change }: PlannedChange): RecordChange {
  if (record.kind !== 'model') return change;
  const [first] = record.value.files;
  return { ...change, release: { name: record.value.name, version: record.value.label, sizeBytes: record.value.files.reduce((sum, f) => sum + f.size, 0), digest: first?.digest ?? '' } };
}
