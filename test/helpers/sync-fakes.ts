import { createHash, type Hash } from 'node:crypto';
import { KeyVault } from '../../main/identity/adapters/key-vault.js';
import { sha256Hex, signEd25519Pem } from '../../main/sync/core/dsse.js';
import { chunkLengths, type ChunkingParams } from '../../main/sync/core/fastcdc.js';
import { signingFingerprint } from '../../main/sync/core/key-chain.js';
import type { BundleMediaReader, BundleMediaWriter, BundleTarget, ChunkPlace, FileHashes, Hasher, Medium, ModelStore, NewRecord, RangeReaders, SentBundle, StagedFile, SyncDeps, SyncStore } from '../../main/sync/core/ports.js';
import { stagedRange } from '../../main/sync/core/staged-range.js';
import type { CurrentValue } from '../../main/sync/core/records.js';
import { DEFAULT_POLICY, type RouterPolicy } from '../../shared/domain/router.js';
import type { Role, SiteIdentity } from '../../shared/domain/identity.js';
import type { Exchange, MediumDescriptor, StoredRecord, TrustedPeer } from '../../shared/domain/sync.js';

/** Fakes for the ports of sync's import and export: everything in memory, time from a settable clock. */

interface StoreState {
  peers: Record<string, Omit<TrustedPeer, 'retiredFingerprints'> & { retiredFingerprints: string[] }>;
  records: Record<string, StoredRecord & { origin: 'local' | 'imported' }>;
  storedFiles: Record<string, { size: number; chunks: Array<[string, number]> }>;
  seen: Array<{ issuer: string; sequence: number; manifestDigest: string }>;
  sent: Array<SentBundle & { acknowledgedAt: string | null }>;
  peerChunks: Record<string, string[]>;
  exchanges: Exchange[];
}

/** Sync's tables in memory; a transaction that throws leaves them as they were, as SQLite's would. */
export class MemorySyncStore implements SyncStore {
  state: StoreState = { peers: {}, records: {}, storedFiles: {}, seen: [], sent: [], peerChunks: {}, exchanges: [] };

  snapshot(): string {
    return JSON.stringify(this.state);
  }

  transaction<T>(work: () => T): T {
    const before = structuredClone(this.state);
    try {
      return work();
    } catch (error) {
      this.state = before;
      throw error;
    }
  }

  peers(): TrustedPeer[] {
    return Object.values(this.state.peers).map((p) => ({ ...p, retiredFingerprints: [...p.retiredFingerprints] }));
  }

  peer(siteId: string): TrustedPeer | undefined {
    return this.peers().find((p) => p.siteId === siteId);
  }

  pinPeer(peer: { siteId: string; role: Role; publicKey: string; fingerprint: string }, at: string): void {
    this.state.peers[peer.siteId] = { ...peer, addedAt: at, updatedAt: at, retiredFingerprints: [] };
  }

  rotatePeerKey(siteId: string, from: string, to: { publicKey: string; fingerprint: string }, at: string): void {
    const peer = this.state.peers[siteId];
    if (!peer) return;
    Object.assign(peer, to, { updatedAt: at });
    peer.retiredFingerprints.push(from);
  }

  removePeer(siteId: string): void {
    delete this.state.peers[siteId];
  }

  current(kind: string, key: string): CurrentValue | undefined {
    const r = this.state.records[`${kind}/${key}`];
    return r ? { kind: r.kind, key: r.key, version: r.version, issuer: r.issuer, valueDigest: r.valueDigest, origin: r.origin } : undefined;
  }

  records(kind?: string): StoredRecord[] {
    return Object.values(this.state.records).filter((r) => kind === undefined || r.kind === kind);
  }

  putRecord(record: NewRecord, at: string): void {
    this.state.records[`${record.kind}/${record.key}`] = { ...record, updatedAt: at };
  }

  /** The newest release of each model only: these tests do not look back at older versions. */
  modelReleases(): Array<{ recordVersion: number; issuer: string; value: unknown; storedAt: string }> {
    return Object.values(this.state.records)
      .filter((r) => r.kind === 'model')
      .map((r) => ({ recordVersion: r.version, issuer: r.issuer, value: r.value, storedAt: r.updatedAt }));
  }

  storedFile(digest: string): { size: number; chunks: Array<[string, number]> } | undefined {
    return this.state.storedFiles[digest];
  }

  putStoredFile(digest: string, size: number, chunks: ReadonlyArray<readonly [string, number]>): void {
    this.state.storedFiles[digest] ??= { size, chunks: chunks.map(([d, s]) => [d, s]) };
  }

  localChunks(wanted: ReadonlySet<string>): Map<string, ChunkPlace> {
    const found = new Map<string, ChunkPlace>();
    for (const [file, stored] of Object.entries(this.state.storedFiles)) {
      let offset = 0;
      for (const [chunk, size] of stored.chunks) {
        if (wanted.has(chunk) && !found.has(chunk)) found.set(chunk, { file, offset });
        offset += size;
      }
    }
    return found;
  }

  seen(issuer: string): Array<{ sequence: number; manifestDigest: string }> {
    return this.state.seen.filter((s) => s.issuer === issuer).map(({ sequence, manifestDigest }) => ({ sequence, manifestDigest }));
  }

  allSeen(): Array<{ issuer: string; sequence: number; manifestDigest: string }> {
    return [...this.state.seen];
  }

  markSeen(issuer: string, sequence: number, manifestDigest: string): void {
    this.state.seen.push({ issuer, sequence, manifestDigest });
  }

  nextSequence(): number {
    return this.state.sent.reduce((max, s) => Math.max(max, s.sequence), 0) + 1;
  }

  recordSent(bundle: SentBundle): void {
    this.state.sent.push({ ...bundle, acknowledgedAt: null });
  }

  acknowledge(sequence: number, manifestDigest: string, peer: string, at: string): boolean {
    const sent = this.state.sent.find((s) => s.sequence === sequence && s.manifestDigest === manifestDigest);
    if (!sent) return false;
    sent.acknowledgedAt ??= at;
    this.addPeerChunks(peer, sent.chunks);
    return true;
  }

  acknowledgedJournal(): number {
    return 0;
  }

  addPeerChunks(peer: string, chunks: Iterable<string>): void {
    const held = new Set(this.state.peerChunks[peer] ?? []);
    for (const chunk of chunks) held.add(chunk);
    this.state.peerChunks[peer] = [...held];
  }

  peerHolds(peer: string): Set<string> {
    return new Set(this.state.peerChunks[peer] ?? []);
  }

  recordExchange(entry: Omit<Exchange, 'id'>): void {
    this.state.exchanges.push({ ...entry, id: this.state.exchanges.length + 1 });
  }

  exchanges(limit: number): Exchange[] {
    return this.state.exchanges.slice(-limit).reverse();
  }

  lastExchangeAt(): string | null {
    return this.state.exchanges.at(-1)?.at ?? null;
  }

  newestModelImportedAt(): string | null {
    return null;
  }

  acknowledgedSequences(peer: string | null): number[] {
    const hq = new Set(
      Object.values(this.state.peers)
        .filter((p) => p.role === 'hq')
        .map((p) => p.siteId),
    );
    const forPeer = (recipient: string): boolean => recipient === '*' || (peer === null ? hq.has(recipient) : recipient === peer);
    return this.state.sent.filter((s) => s.acknowledgedAt !== null && forPeer(s.recipient)).map((s) => s.sequence);
  }
}

/** models/ and staging/ in memory. `diskLeft` bytes may still be written before a write fails with ENOSPC. */
export class MemoryModelStore implements ModelStore {
  readonly models = new Map<string, Buffer>();
  readonly partials = new Map<string, { bytes: Buffer; staged: Set<string> }>();
  diskLeft = Infinity;

  constructor(private readonly chunking: ChunkingParams) {}

  modelPath(digest: string): string {
    return `/memory/models/${digest}`;
  }

  hasModel(digest: string): boolean {
    return this.models.has(digest);
  }

  async ingest(source: string): Promise<{ digest: string; size: number; chunks: Array<[string, number]> }> {
    return this.add(Buffer.from(source));
  }

  /** Stores `bytes` as a released model file would be: by digest, with its chunk list. */
  add(bytes: Buffer): { digest: string; size: number; chunks: Array<[string, number]> } {
    const digest = sha256Hex(bytes);
    this.models.set(digest, Buffer.from(bytes));
    let offset = 0;
    const chunks = chunkLengths(bytes, this.chunking).map((length): [string, number] => {
      const chunk = sha256Hex(bytes.subarray(offset, offset + length));
      offset += length;
      return [chunk, length];
    });
    return { digest, size: bytes.length, chunks };
  }

  stagedChunks(files: ReadonlyArray<{ digest: string; chunks: ReadonlyArray<readonly [string, number]> }>): Map<string, ChunkPlace> {
    const found = new Map<string, ChunkPlace>();
    for (const file of files) {
      const staged = this.partials.get(file.digest)?.staged ?? new Set<string>();
      let offset = 0;
      for (const [chunk, size] of file.chunks) {
        if (staged.has(stagedRange(offset, size)) && !found.has(chunk)) found.set(chunk, { file: file.digest, offset });
        offset += size;
      }
    }
    return found;
  }

  readers(): RangeReaders {
    return {
      open: async (where, digest) => {
        const bytes = where === 'local' ? this.models.get(digest) : this.partials.get(digest)?.bytes;
        if (!bytes) throw new Error(`no ${where} file ${digest}`);
        return { read: async (offset, into) => (bytes.copy(into, 0, offset, offset + into.length), into) };
      },
      close: async () => undefined,
    };
  }

  async partial(digest: string, size: number): Promise<StagedFile> {
    let entry = this.partials.get(digest);
    if (!entry) {
      entry = { bytes: Buffer.alloc(size), staged: new Set() };
      this.partials.set(digest, entry);
    }
    const file = entry;
    return {
      staged: file.staged,
      write: async (offset, bytes) => {
        if (bytes.length > this.diskLeft) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        this.diskLeft -= bytes.length;
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(file.bytes, offset);
        file.staged.add(stagedRange(offset, bytes.length));
      },
      read: async (offset, length) => Buffer.from(file.bytes.subarray(offset, offset + length)),
      digest: async () => sha256Hex(file.bytes),
      commit: async () => {
        this.models.set(digest, file.bytes);
        this.partials.delete(digest);
      },
      close: async () => undefined,
    };
  }

  discardPartial(digest: string): void {
    this.partials.delete(digest);
  }
}

interface MemoryMedium extends Medium {
  chunks: Map<string, Buffer>;
}

/** Bundles "on disk" as a map from path to media; counts the chunk reads, to prove a refusal read none. */
export class MemoryMedia {
  readonly published = new Map<string, MemoryMedium[]>();
  chunkReads = 0;

  readonly reader: BundleMediaReader = {
    find: (paths) => paths.flatMap((p) => this.published.get(p) ?? this.published.get(p.replace(/\/medium-\d+$/, ''))?.filter((m) => m.dir === p) ?? []),
    readChunk: async (medium, digest, size, into) => {
      this.chunkReads += 1;
      const bytes = (medium as MemoryMedium).chunks.get(digest);
      if (!bytes || bytes.length !== size) throw new Error(`chunk ${digest} is missing from ${medium.dir}`);
      bytes.copy(into, 0, 0, size);
      return into.subarray(0, size);
    },
  };

  readonly writer: BundleMediaWriter = {
    create: (target) => {
      if (this.published.has(target)) throw new Error(`${target} exists`);
      const media = new Map<string, MemoryMedium>();
      const bundle: BundleTarget = {
        target,
        medium: (index, count) => {
          const dir = count === 1 ? target : `${target}/medium-${index}`;
          media.set(dir, { dir, envelope: Buffer.alloc(0), descriptor: undefined as unknown as MediumDescriptor, chunks: new Map() });
          return { dir, finalDir: dir };
        },
        writeChunk: async (dir, digest, bytes) => void media.get(dir)?.chunks.set(digest, Buffer.from(bytes)),
        writeMeta: (dir, envelope, descriptor) => void Object.assign(media.get(dir) ?? {}, { envelope, descriptor }),
        finalize: async () => void this.published.set(target, [...media.values()]),
        discard: () => media.clear(),
      };
      return bundle;
    },
    onDrives: () => {
      throw new Error('memory media have no drives: the drive tests write real directories');
    },
    freeBytes: () => Number.MAX_SAFE_INTEGER,
  };

  /** Flips a byte of a chunk on a published medium. */
  damage(target: string, chunk: string): void {
    for (const medium of this.published.get(target) ?? []) {
      const bytes = medium.chunks.get(chunk);
      if (bytes) bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    }
  }
}

/** Chunk and file hashes on this thread: the same digests, no second thread. */
export const inlineHasher: Hasher = {
  sha256: sha256Hex,
  fileHashes: (): FileHashes => {
    const hashes = new Map<string, Hash>();
    return {
      begin: (id) => void hashes.set(id, createHash('sha256')),
      update: async (id, bytes) => void hashes.get(id)?.update(bytes),
      digest: async (id) => hashes.get(id)?.digest('hex') ?? '',
      close: async () => undefined,
    };
  },
  buffers: (count, size) => Array.from({ length: count }, () => Buffer.alloc(size)),
};

export interface FakeSite {
  identity: SiteIdentity;
  deps: SyncDeps;
  store: MemorySyncStore;
  files: MemoryModelStore;
  policy: { current: RouterPolicy };
}

/** An installation's sync ports in memory, sharing `media` and the clock with the other fake sites of a test. */
export function fakeSite(siteId: string, role: Role, media: MemoryMedia, clock: { now(): Date }, chunking: ChunkingParams): FakeSite {
  const key = new KeyVault('/nonexistent').generate('signing', siteId);
  const at = clock.now().toISOString();
  const signingKey = { kind: 'signing' as const, algorithm: 'ed25519' as const, publicKey: key.publicKey, fingerprint: signingFingerprint(key.publicKey), createdAt: at };
  const identity: SiteIdentity = { siteId, role, createdAt: at, signingKey, sshKey: signingKey, history: [{ ...signingKey, retiredAt: null, rotationSignature: null }] };
  const store = new MemorySyncStore();
  const files = new MemoryModelStore(chunking);
  const policy = { current: DEFAULT_POLICY };
  const deps: SyncDeps = {
    repository: store,
    files,
    media,
    hasher: inlineHasher,
    identity: { show: () => identity },
    sign: (message) => signEd25519Pem(key.privateKey, message),
    reports: { journalSince: () => [], inventory: () => [], operations: () => ({ telemetry: { since: 0, upto: 0, bucketSeconds: 60, series: [] }, deployments: [] }) },
    clock,
    progress: () => undefined,
    freeBytes: () => Number.MAX_SAFE_INTEGER,
    routerPolicy: { read: () => policy.current, write: (next) => void (policy.current = next) },
  };
  return { identity, deps, store, files, policy };
}

/** `a` pins `b`'s signing key, as `outpost trust add` does. */
export function trust(a: FakeSite, b: FakeSite): void {
  a.store.pinPeer({ siteId: b.identity.siteId, role: b.identity.role, publicKey: b.identity.signingKey.publicKey, fingerprint: b.identity.signingKey.fingerprint }, b.identity.createdAt);
}
