import fs from 'node:fs';
import path from 'node:path';
import type { Role, SiteIdentity } from '../../shared/domain/identity.js';
import { isSafeRelativePath, ModelReleaseSchema, TRUST_FILE_TYPE, TrustFileSchema, type Exchange, type Policy, type StoredRecord, type TrustedPeer, type TrustFile } from '../../shared/domain/sync.js';
import { factorProblem, type CalibrationSet } from '../../shared/domain/calibration.js';
import type { ModelReleaseEntry } from '../../shared/domain/models.js';
import { OutpostError } from '../../shared/errors.js';
import { followChain, rotationsFromHistory, signingFingerprint } from './core/key-chain.js';
import type { SyncDeps } from './core/ports.js';
import { ProgressMeter } from './core/progress.js';
import { valueDigest } from './core/records.js';

/** Trust, HQ releases and records; export and import live in their own modules on the same deps. */
export class SyncService {
  constructor(private readonly deps: SyncDeps) {}

  /** `to`: also written there, for the peer to carry away; an existing file is never overwritten. */
  trustFile(to?: string): TrustFile {
    const identity = this.deps.identity.show();
    const file: TrustFile = {
      type: TRUST_FILE_TYPE,
      siteId: identity.siteId,
      role: identity.role,
      signingKey: { publicKey: identity.signingKey.publicKey, fingerprint: identity.signingKey.fingerprint },
      rotations: rotationsFromHistory(identity.siteId, identity.history),
      exportedAt: this.deps.clock.now().toISOString(),
    };
    if (to !== undefined) writeTrustFile(to, file);
    return file;
  }

  /** `expectedRole`: the role the file must name (HQ's trust file where HQ's is asked for). */
  inspectTrust(file: string, expectedRole?: Role): { trust: TrustFile; fingerprint: string; status: 'new' | 'same' | 'different-key' } {
    const trust = readTrustFile(file);
    if (trust.siteId === this.deps.identity.show().siteId) {
      throw new OutpostError('INVALID_INPUT', `${file} is this installation's own trust file`, 'add the trust file of the peer (HQ or the site) instead');
    }
    if (expectedRole && trust.role !== expectedRole) {
      throw new OutpostError('INVALID_INPUT', `${file} is the trust file of ${roleName(trust.role)} ${trust.siteId}, not of ${roleName(expectedRole)}`, `ask ${roleName(expectedRole)} for the file its \`outpost trust export\` writes; nothing was trusted`);
    }
    const pinned = this.deps.repository.peer(trust.siteId);
    const status = !pinned ? 'new' : pinned.fingerprint === trust.signingKey.fingerprint ? 'same' : 'different-key';
    return { trust, fingerprint: trust.signingKey.fingerprint, status };
  }

  /**
   * Pins the key the person confirmed. Re-adding a peer whose key moved is
   * allowed only along its signed rotations, unless the person confirms the
   * new fingerprint itself (a peer that started a new identity).
   */
  addTrust(file: string, confirmedFingerprint: string, expectedRole?: Role): TrustedPeer {
    const { trust, fingerprint } = this.inspectTrust(file, expectedRole);
    if (confirmedFingerprint !== fingerprint) {
      throw new OutpostError('CONFLICT', `the trust file's key is ${fingerprint}, not the ${confirmedFingerprint} that was confirmed`, 'read the fingerprint again and compare it with the peer over a trusted channel');
    }
    const pinned = this.deps.repository.peer(trust.siteId);
    const at = this.deps.clock.now().toISOString();
    this.deps.repository.transaction(() => {
      if (pinned && pinned.fingerprint !== fingerprint && followChain(pinned, fingerprint, trust.rotations).ok) {
        this.deps.repository.rotatePeerKey(trust.siteId, pinned.fingerprint, trust.signingKey, at);
      } else {
        this.deps.repository.pinPeer({ siteId: trust.siteId, role: trust.role, ...trust.signingKey }, at);
      }
    });
    return this.deps.repository.peer(trust.siteId) as TrustedPeer;
  }

  /** Stops trusting a peer: its bundles fail the trust check from now on. This installation is no peer of its own. */
  removeTrust(siteId: string): { removed: string; fingerprint: string } {
    if (siteId === this.deps.identity.show().siteId) {
      throw new OutpostError('INVALID_INPUT', `${siteId} is this installation itself, not a trusted peer`, 'name a peer from `outpost trust list`');
    }
    const pinned = this.deps.repository.peer(siteId);
    if (!pinned) throw new OutpostError('NOT_FOUND', `${siteId} is not a trusted peer`, 'see `outpost trust list` for the peers');
    this.deps.repository.removePeer(siteId);
    return { removed: siteId, fingerprint: pinned.fingerprint };
  }

  peers(): TrustedPeer[] {
    return this.deps.repository.peers();
  }

  async releaseModel(request: { path: string; name: string; version: string }, signal: AbortSignal, jobId: string): Promise<StoredRecord> {
    const identity = this.requireHq('release a model');
    const sources = listReleaseFiles(request.path);
    const current = this.deps.repository.records('model').find((r) => r.key === request.name);
    const currentLabel = current ? ModelReleaseSchema.safeParse(current.value).data?.label : undefined;
    if (currentLabel === request.version) {
      throw new OutpostError('CONFLICT', `model ${request.name} is already released as version ${request.version}`, 'give the new release a new --version');
    }
    const total = sources.reduce((sum, s) => sum + s.size, 0);
    const meter = new ProgressMeter(jobId, 'release', total, () => this.deps.clock.now().getTime(), this.deps.progress);
    const files = [];
    const at = () => this.deps.clock.now().toISOString();
    for (const source of sources) {
      const stored = await this.deps.files.ingest(source.absolute, { signal, onBytes: (n) => meter.advance(n) });
      this.deps.repository.putStoredFile(stored.digest, stored.size, stored.chunks, at());
      files.push({ path: source.relative, digest: stored.digest, size: stored.size });
    }
    meter.finish();
    return this.issue('model', request.name, ModelReleaseSchema.parse({ name: request.name, label: request.version, files, releasedAt: at() }), identity);
  }

  /** Every release of every model that arrived here, oldest record version first within a name: the planner's library. */
  modelReleases(): ModelReleaseEntry[] {
    return this.deps.repository.modelReleases().flatMap((row) => {
      const release = ModelReleaseSchema.safeParse(row.value);
      if (!release.success) return [];
      const [first] = release.data.files;
      const single = release.data.files.length === 1 && first !== undefined && this.deps.files.hasModel(first.digest);
      return [
        {
          name: release.data.name,
          version: release.data.label,
          recordVersion: row.recordVersion,
          digest: first?.digest ?? '',
          sizeBytes: release.data.files.reduce((sum, f) => sum + f.size, 0),
          fileCount: release.data.files.length,
          signer: row.issuer,
          releasedAt: release.data.releasedAt ?? null,
          path: single ? this.deps.files.modelPath(first.digest) : null,
        },
      ];
    });
  }

  releasePolicy(policy: Policy): StoredRecord {
    return this.issue('policy', 'site-policy', policy, this.deps.identity.show());
  }

  /** The merged calibration HQ sends its sites; an absurd factor is refused by name, nothing issued. */
  releaseCalibration(calibration: CalibrationSet): StoredRecord {
    const identity = this.requireHq('release a calibration');
    const problems = calibration.records.map(factorProblem).filter((p): p is string => p !== null);
    if (problems.length) throw new OutpostError('INVALID_INPUT', `the calibration has absurd factors: ${problems.join('; ')}`, 'fix or leave out those records; nothing was issued');
    return this.issue('calibration', 'site-calibration', calibration, identity);
  }

  records(kind?: string): StoredRecord[] {
    return this.deps.repository.records(kind);
  }

  exchanges(limit: number): Exchange[] {
    return this.deps.repository.exchanges(limit);
  }

  /** When a bundle last went out or came in: how long this installation has been offline. */
  lastExchangeAt(): string | null {
    return this.deps.repository.lastExchangeAt();
  }

  /** When the newest model release arrived from HQ; null when none has. */
  newestModelImportedAt(): string | null {
    return this.deps.repository.newestModelImportedAt();
  }

  /** Sequences of our bundles that `peer` acknowledged (null: any HQ we trust). */
  acknowledgedSequences(peer: string | null): number[] {
    return this.deps.repository.acknowledgedSequences(peer);
  }

  /** A local record is the next version after whatever is here, imported or not: versions only go up. */
  private issue(kind: string, key: string, value: unknown, identity: SiteIdentity): StoredRecord {
    this.deps.repository.transaction(() => {
      const version = (this.deps.repository.current(kind, key)?.version ?? 0) + 1;
      this.deps.repository.putRecord({ kind, key, version, issuer: identity.siteId, value, valueDigest: valueDigest(value), origin: 'local' }, this.deps.clock.now().toISOString());
    });
    return this.deps.repository.records(kind).find((r) => r.key === key) as StoredRecord;
  }

  private requireHq(what: string): SiteIdentity {
    const identity = this.deps.identity.show();
    if (identity.role !== 'hq') {
      throw new OutpostError('FORBIDDEN', `only HQ can ${what}; this installation is site ${identity.siteId}`, 'run this at HQ (`outpost keys init --role hq`), then carry it here in a bundle');
    }
    return identity;
  }
}

function roleName(role: Role): string {
  return role === 'hq' ? 'HQ' : 'a site';
}

function writeTrustFile(to: string, trust: TrustFile): void {
  try {
    fs.writeFileSync(to, `${JSON.stringify(trust, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutpostError('CONFLICT', `${to} already exists`, 'choose another file name; nothing was overwritten');
    if (code === 'ENOENT') throw new OutpostError('INVALID_INPUT', `the folder of ${to} does not exist`, 'choose a folder that exists (a mounted drive, your home folder)');
    throw new OutpostError('INVALID_INPUT', `cannot write ${to} (${code ?? 'error'})`, 'choose a folder you can write to');
  }
}

function readTrustFile(file: string): TrustFile {
  let raw: unknown;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > 1024 * 1024) throw new Error('size');
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OutpostError('NOT_FOUND', `${file} does not exist`, 'check the path (is the drive mounted?)');
    throw new OutpostError('INVALID_INPUT', `${file} is not a readable trust file`, 'use the file written by `outpost trust export` on the peer');
  }
  const parsed = TrustFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OutpostError('INVALID_INPUT', `${file} is not an Outpost trust file (${issue ? `${issue.path.join('.')}: ${issue.message}` : ''})`, 'use the file written by `outpost trust export`');
  }
  if (signingFingerprint(parsed.data.signingKey.publicKey) !== parsed.data.signingKey.fingerprint) {
    throw new OutpostError('INVALID_INPUT', `${file}: the fingerprint does not match the key it names`, 'the file was altered; ask the peer for its trust file again');
  }
  return parsed.data;
}

/** A model is one file or a directory of files (safetensors shards, tokenizer); links are refused. */
function listReleaseFiles(given: string): Array<{ absolute: string; relative: string; size: number }> {
  const root = path.resolve(given);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(root);
  } catch {
    throw new OutpostError('NOT_FOUND', `${root} does not exist`, 'name a model file or a model directory');
  }
  if (stat.isFile()) return [{ absolute: root, relative: path.basename(root), size: stat.size }];
  if (!stat.isDirectory()) throw new OutpostError('INVALID_INPUT', `${root} is neither a file nor a directory`, 'name a model file or a model directory');
  const found: Array<{ absolute: string; relative: string; size: number }> = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const absolute = path.join(dir, entry.name);
      const relative = path.relative(root, absolute).split(path.sep).join('/');
      if (entry.isSymbolicLink()) throw new OutpostError('INVALID_INPUT', `${relative} is a symbolic link`, 'copy the real file into the model directory');
      if (entry.isDirectory()) walk(absolute);
      else if (!isSafeRelativePath(relative)) throw new OutpostError('INVALID_INPUT', `the file name ${JSON.stringify(relative)} cannot travel in a bundle`, 'rename it to letters, digits and ._+- only');
      else if (entry.isFile()) found.push({ absolute, relative, size: fs.statSync(absolute).size });
    }
  };
  walk(root);
  if (found.length === 0) throw new OutpostError('INVALID_INPUT', `${root} holds no files`, 'name a model file or a model directory');
  return found;
}
