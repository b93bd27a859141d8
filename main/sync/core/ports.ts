import type { CalibrationRecord } from '../../../shared/domain/calibration.js';
import type { JournalEntry } from '../../../shared/domain/journal.js';
import type { Role, SiteIdentity } from '../../../shared/domain/identity.js';
import type { RouterPolicy } from '../../../shared/domain/router.js';
import type { Exchange, MediumDescriptor, StoredRecord, SyncProgress, TrustedPeer } from '../../../shared/domain/sync.js';
import type { TelemetryReport } from '../../../shared/domain/telemetry.js';
import type { Deployment } from '../../../shared/domain/workers.js';
import type { CurrentValue } from './records.js';

/** The ports the rules of trust, release, import and export run on; `main/sync/index.ts` wires the real ones. */

export interface Clock {
  now(): Date;
}

export interface NewRecord {
  kind: string;
  key: string;
  version: number;
  issuer: string;
  value: unknown;
  valueDigest: string;
  origin: 'local' | 'imported';
}

export interface SentBundle {
  sequence: number;
  recipient: string;
  manifestDigest: string;
  chunks: string[];
  journalUpto: number;
}

export interface ChunkPlace {
  file: string;
  offset: number;
}

/** Sync's tables: small statements, grouped by the caller into `transaction` (all or nothing). */
export interface SyncStore {
  transaction<T>(work: () => T): T;
  peers(): TrustedPeer[];
  peer(siteId: string): TrustedPeer | undefined;
  pinPeer(peer: { siteId: string; role: Role; publicKey: string; fingerprint: string }, at: string): void;
  rotatePeerKey(siteId: string, from: string, to: { publicKey: string; fingerprint: string }, at: string): void;
  removePeer(siteId: string): void;
  current(kind: string, key: string): CurrentValue | undefined;
  records(kind?: string): StoredRecord[];
  putRecord(record: NewRecord, at: string): void;
  /** Every model release that arrived, by name then record version. */
  modelReleases(): Array<{ recordVersion: number; issuer: string; value: unknown; storedAt: string }>;
  storedFile(digest: string): { size: number; chunks: Array<[string, number]> } | undefined;
  putStoredFile(digest: string, size: number, chunks: ReadonlyArray<readonly [string, number]>, at: string): void;
  /** Where each locally held chunk can be read: the first stored file containing it, and the offset there. */
  localChunks(wanted: ReadonlySet<string>): Map<string, ChunkPlace>;
  seen(issuer: string): Array<{ sequence: number; manifestDigest: string }>;
  allSeen(): Array<{ issuer: string; sequence: number; manifestDigest: string }>;
  markSeen(issuer: string, sequence: number, manifestDigest: string, at: string): void;
  nextSequence(): number;
  recordSent(bundle: SentBundle, at: string): void;
  /** Applies an acknowledgement: true when it named a bundle we sent, with the same digest. */
  acknowledge(sequence: number, manifestDigest: string, peer: string, at: string): boolean;
  acknowledgedJournal(peer: string): number;
  addPeerChunks(peer: string, chunks: Iterable<string>): void;
  peerHolds(peer: string): Set<string>;
  recordExchange(entry: Omit<Exchange, 'id'>): void;
  exchanges(limit: number): Exchange[];
  lastExchangeAt(): string | null;
  newestModelImportedAt(): string | null;
  acknowledgedSequences(peer: string | null): number[];
}

/** An open stored or staged file that chunks are read from by offset. */
export interface RangeReader {
  /** Fills `into` from `offset`; a file too short for it is damage, not a short read. */
  read(offset: number, into: Buffer): Promise<Buffer>;
}

/** Opens each stored (`local`) or staged file once for the chunks read from it; `close` closes them all. */
export interface RangeReaders {
  open(where: 'local' | 'staged', digest: string): Promise<RangeReader>;
  close(): Promise<void>;
}

/**
 * A file being assembled in staging/ at its final size. `staged` lists the
 * byte ranges (see `stagedRange`) known to be written; a write that finds the
 * disk full rejects with an error whose `code` is 'ENOSPC'.
 */
export interface StagedFile {
  readonly staged: Set<string>;
  write(offset: number, bytes: Uint8Array): Promise<unknown>;
  read(offset: number, size: number): Promise<Buffer>;
  /** SHA-256 of the staged bytes, read back: for a file not assembled in order in one run. */
  digest(size: number): Promise<string>;
  /** Every byte is there and checked: into models/ under its digest. */
  commit(): Promise<void>;
  /** Leaves the file for the next medium or run, with what is synced recorded. */
  close(): Promise<void>;
}

/** `models/` (files by SHA-256) and `staging/` (files of a bundle being assembled). */
export interface ModelStore {
  hasModel(digest: string): boolean;
  /** Where a file of models/ is (named by its sha256, no extension). */
  modelPath(digest: string): string;
  ingest(source: string, options: { signal?: AbortSignal | undefined; onBytes?: (n: number) => void }): Promise<{ digest: string; size: number; chunks: Array<[string, number]> }>;
  stagedChunks(files: ReadonlyArray<{ digest: string; chunks: ReadonlyArray<readonly [string, number]> }>): Map<string, ChunkPlace>;
  readers(): RangeReaders;
  partial(digest: string, size: number): Promise<StagedFile>;
  discardPartial(digest: string): void;
}

/** One medium of a bundle as found on disk; `dir` names it in messages. */
export interface Medium {
  dir: string;
  envelope: Buffer;
  descriptor: MediumDescriptor;
}

export interface BundleMediaReader {
  /** Each path is a medium or a folder of `medium-N` media; refuses links, missing files and bad descriptors. */
  find(paths: readonly string[]): Medium[];
  /** Exactly `size` bytes of a chunk into `into`; a missing, short or long chunk file is refused before it is read. */
  readChunk(medium: Medium, digest: string, size: number, into: Buffer): Promise<Buffer>;
}

/**
 * A bundle being written under a temporary name marked incomplete; only
 * `finalize` flushes every file to the medium and makes it look complete.
 */
export interface BundleTarget {
  readonly target: string;
  medium(index: number, count: number): { dir: string; finalDir: string };
  writeChunk(mediumDir: string, digest: string, bytes: Uint8Array): Promise<void>;
  writeMeta(mediumDir: string, envelope: Buffer, descriptor: MediumDescriptor): void;
  finalize(): Promise<void>;
  discard(): void;
}

export interface BundleMediaWriter {
  /** Every medium side by side in one directory. */
  create(target: string): BundleTarget;
  /** Medium N in the Nth directory (one per drive). */
  onDrives(targets: readonly string[]): BundleTarget;
  /** Bytes free on the file system that would hold `target` (its nearest existing folder). */
  freeBytes(target: string): number;
}

/** The hash of whole files, fed chunk by chunk, on another thread. */
export interface FileHashes {
  begin(id: string): void;
  /** Settles once the hashing no longer reads `bytes` (the caller may then reuse them). */
  update(id: string, bytes: Uint8Array): Promise<unknown>;
  digest(id: string): Promise<string>;
  close(): Promise<void>;
}

export interface Hasher {
  sha256(bytes: Uint8Array): string;
  fileHashes(): FileHashes;
  /** Reusable chunk buffers that `fileHashes` reads in place, without a copy. */
  buffers(count: number, size: number): Buffer[];
}

/** What a site reports to HQ from the other capabilities. */
export interface SiteReports {
  journalSince(afterId: number): JournalEntry[];
  inventory(): Array<Record<string, unknown>>;
  /** Telemetry since what `peer` acknowledged (remembered under the bundle's sequence), and the deployments. */
  operations(peer: string, sequence: number): { telemetry: TelemetryReport; deployments: Deployment[] };
}

export interface SyncDeps {
  repository: SyncStore;
  files: ModelStore;
  media: { reader: BundleMediaReader; writer: BundleMediaWriter };
  hasher: Hasher;
  identity: { show(): SiteIdentity };
  /** Ed25519 with the live signing key, base64 (KeyVault.sign). */
  sign: (message: Buffer) => string;
  reports: SiteReports;
  clock: Clock;
  progress: (progress: SyncProgress) => void;
  /** Bytes free on the file system holding the data dir. */
  freeBytes: () => number;
  /** The policy the router process runs with (its table in the same store, so an import writes it in its transaction). */
  routerPolicy: { read(): RouterPolicy; write(policy: RouterPolicy): void };
  /** The planner's calibration: a site's own records to report, and HQ's merged ones to apply (none: not carried). */
  calibration?: CalibrationExchange;
}

/** Plan-vs-actual calibration as sync carries it; the planner owns the records and decides what an HQ record replaces. */
export interface CalibrationExchange {
  siteRecords(): CalibrationRecord[];
  /** Applies HQ's records, saying for each what became of it (applied, refused by name, or kept the site's newer own). */
  applyFromHq(records: readonly CalibrationRecord[]): Array<{ key: string; outcome: string; reason: string }>;
}
