import type { Db } from '../../platform/store/index.js';
import { z } from 'zod';
import { ChunkRefSchema, Sha256HexSchema, type Exchange, type StoredRecord, type TrustedPeer } from '../../../shared/domain/sync.js';
import type { Role } from '../../../shared/domain/identity.js';
import type { ChunkPlace, NewRecord, SentBundle, SyncStore } from '../core/ports.js';
import type { CurrentValue } from '../core/records.js';

const ChunkListSchema = z.array(ChunkRefSchema);
const ChunkDigestsSchema = z.array(Sha256HexSchema);

interface PeerRow {
  site_id: string;
  role: Role;
  public_key: string;
  fingerprint: string;
  added_at: string;
  updated_at: string;
}

interface RecordRow {
  kind: string;
  key: string;
  version: number;
  issuer: string;
  value_json: string;
  value_digest: string;
  origin: 'local' | 'imported';
  updated_at: string;
}

/** Sync's tables. Methods are small statements; the service groups them into transactions. */
export class SyncRepository implements SyncStore {
  constructor(private readonly db: Db) {}

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // ---- peers
  peers(): TrustedPeer[] {
    const rows = this.db.prepare('SELECT * FROM trusted_peers ORDER BY site_id').all() as PeerRow[];
    return rows.map((row) => this.toPeer(row));
  }

  peer(siteId: string): TrustedPeer | undefined {
    const row = this.db.prepare('SELECT * FROM trusted_peers WHERE site_id = ?').get(siteId) as PeerRow | undefined;
    return row ? this.toPeer(row) : undefined;
  }

  pinPeer(peer: { siteId: string; role: Role; publicKey: string; fingerprint: string }, at: string): void {
    this.db
      .prepare(
        `INSERT INTO trusted_peers (site_id, role, public_key, fingerprint, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (site_id) DO UPDATE SET role = excluded.role, public_key = excluded.public_key, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
      )
      .run(peer.siteId, peer.role, peer.publicKey, peer.fingerprint, at, at);
    this.db.prepare('DELETE FROM peer_retired_keys WHERE site_id = ? AND fingerprint = ?').run(peer.siteId, peer.fingerprint);
  }

  /** A rotation carried in a bundle: the old key is retired for good, the new one pinned. */
  rotatePeerKey(siteId: string, from: string, to: { publicKey: string; fingerprint: string }, at: string): void {
    this.db.prepare('UPDATE trusted_peers SET public_key = ?, fingerprint = ?, updated_at = ? WHERE site_id = ?').run(to.publicKey, to.fingerprint, at, siteId);
    this.db.prepare('INSERT OR IGNORE INTO peer_retired_keys (site_id, fingerprint, retired_at) VALUES (?, ?, ?)').run(siteId, from, at);
  }

  /** The peer's retired keys go with it (ON DELETE CASCADE). */
  removePeer(siteId: string): void {
    this.db.prepare('DELETE FROM trusted_peers WHERE site_id = ?').run(siteId);
  }

  private toPeer(row: PeerRow): TrustedPeer {
    const retired = this.db.prepare('SELECT fingerprint FROM peer_retired_keys WHERE site_id = ? ORDER BY retired_at').pluck().all(row.site_id) as string[];
    return {
      siteId: row.site_id,
      role: row.role,
      publicKey: row.public_key,
      fingerprint: row.fingerprint,
      addedAt: row.added_at,
      updatedAt: row.updated_at,
      retiredFingerprints: retired,
    };
  }

  // ---- records
  current(kind: string, key: string): CurrentValue | undefined {
    const row = this.db.prepare('SELECT * FROM sync_records WHERE kind = ? AND key = ?').get(kind, key) as RecordRow | undefined;
    return row ? { kind: row.kind, key: row.key, version: row.version, issuer: row.issuer, valueDigest: row.value_digest, origin: row.origin } : undefined;
  }

  records(kind?: string): StoredRecord[] {
    const rows = (kind ? this.db.prepare('SELECT * FROM sync_records WHERE kind = ? ORDER BY kind, key').all(kind) : this.db.prepare('SELECT * FROM sync_records ORDER BY kind, key').all()) as RecordRow[];
    return rows.map((row) => ({
      kind: row.kind,
      key: row.key,
      version: row.version,
      issuer: row.issuer,
      origin: row.origin,
      updatedAt: row.updated_at,
      valueDigest: row.value_digest,
      value: JSON.parse(row.value_json) as unknown,
    }));
  }

  putRecord(record: NewRecord, at: string): void {
    this.db
      .prepare(
        `INSERT INTO sync_records (kind, key, version, issuer, value_json, value_digest, origin, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, issuer = excluded.issuer, value_json = excluded.value_json,
           value_digest = excluded.value_digest, origin = excluded.origin, updated_at = excluded.updated_at`,
      )
      .run(record.kind, record.key, record.version, record.issuer, JSON.stringify(record.value), record.valueDigest, record.origin, at);
    if (record.kind === 'model') {
      const { name, label } = record.value as { name: string; label: string };
      this.db.prepare('INSERT OR REPLACE INTO model_releases (name, label, record_version, issuer, value_json, origin, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(name, label, record.version, record.issuer, JSON.stringify(record.value), record.origin, at);
    }
  }

  /** Every model release that arrived, each version of each name (sync_records keeps the newest only). */
  modelReleases(): Array<{ recordVersion: number; issuer: string; value: unknown; storedAt: string }> {
    const rows = this.db.prepare('SELECT record_version, issuer, value_json, stored_at FROM model_releases ORDER BY name, record_version').all() as Array<{ record_version: number; issuer: string; value_json: string; stored_at: string }>;
    return rows.map((row) => ({ recordVersion: row.record_version, issuer: row.issuer, value: JSON.parse(row.value_json) as unknown, storedAt: row.stored_at }));
  }

  // ---- files in models/
  storedFile(digest: string): { size: number; chunks: Array<[string, number]> } | undefined {
    const row = this.db.prepare('SELECT size, chunks_json FROM stored_files WHERE digest = ?').get(digest) as { size: number; chunks_json: string } | undefined;
    return row ? { size: row.size, chunks: ChunkListSchema.parse(JSON.parse(row.chunks_json)) } : undefined;
  }

  putStoredFile(digest: string, size: number, chunks: ReadonlyArray<readonly [string, number]>, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO stored_files (digest, size, chunks_json, stored_at) VALUES (?, ?, ?, ?)').run(digest, size, JSON.stringify(chunks), at);
  }

  /** Where each locally held chunk can be read: the first stored file containing it, and the offset there. */
  localChunks(wanted: ReadonlySet<string>): Map<string, ChunkPlace> {
    const found = new Map<string, ChunkPlace>();
    if (wanted.size === 0) return found;
    for (const row of this.db.prepare('SELECT digest, chunks_json FROM stored_files').iterate() as Iterable<{ digest: string; chunks_json: string }>) {
      let offset = 0;
      for (const [chunk, size] of ChunkListSchema.parse(JSON.parse(row.chunks_json))) {
        if (wanted.has(chunk) && !found.has(chunk)) found.set(chunk, { file: row.digest, offset });
        offset += size;
      }
    }
    return found;
  }

  // ---- bundles
  seen(issuer: string): Array<{ sequence: number; manifestDigest: string }> {
    return this.db.prepare('SELECT sequence, manifest_digest AS manifestDigest FROM bundles_seen WHERE issuer = ? ORDER BY sequence').all(issuer) as Array<{ sequence: number; manifestDigest: string }>;
  }

  allSeen(): Array<{ issuer: string; sequence: number; manifestDigest: string }> {
    return this.db.prepare('SELECT issuer, sequence, manifest_digest AS manifestDigest FROM bundles_seen ORDER BY issuer, sequence').all() as Array<{ issuer: string; sequence: number; manifestDigest: string }>;
  }

  markSeen(issuer: string, sequence: number, manifestDigest: string, at: string): void {
    this.db.prepare('INSERT INTO bundles_seen (issuer, sequence, manifest_digest, imported_at) VALUES (?, ?, ?, ?)').run(issuer, sequence, manifestDigest, at);
  }

  nextSequence(): number {
    return ((this.db.prepare('SELECT max(sequence) AS s FROM bundles_sent').get() as { s: number | null }).s ?? 0) + 1;
  }

  recordSent(bundle: SentBundle, at: string): void {
    this.db
      .prepare('INSERT INTO bundles_sent (sequence, recipient, manifest_digest, chunks_json, journal_upto, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(bundle.sequence, bundle.recipient, bundle.manifestDigest, JSON.stringify(bundle.chunks), bundle.journalUpto, at);
  }

  /** Applies an acknowledgement: true when it named a bundle we sent, with the same digest. */
  acknowledge(sequence: number, manifestDigest: string, peer: string, at: string): boolean {
    const row = this.db.prepare('SELECT chunks_json, acknowledged_at FROM bundles_sent WHERE sequence = ? AND manifest_digest = ?').get(sequence, manifestDigest) as { chunks_json: string; acknowledged_at: string | null } | undefined;
    if (!row) return false;
    if (row.acknowledged_at === null) this.db.prepare('UPDATE bundles_sent SET acknowledged_at = ? WHERE sequence = ?').run(at, sequence);
    this.addPeerChunks(peer, ChunkDigestsSchema.parse(JSON.parse(row.chunks_json)));
    return true;
  }

  /** The journal id up to which a peer has acknowledged our reports. */
  acknowledgedJournal(peer: string): number {
    return (this.db.prepare("SELECT max(journal_upto) AS j FROM bundles_sent WHERE acknowledged_at IS NOT NULL AND (recipient = ? OR recipient = '*')").get(peer) as { j: number | null }).j ?? 0;
  }

  addPeerChunks(peer: string, chunks: Iterable<string>): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO peer_chunks (peer, chunk) VALUES (?, ?)');
    for (const chunk of chunks) insert.run(peer, chunk);
  }

  peerHolds(peer: string): Set<string> {
    return new Set(this.db.prepare('SELECT chunk FROM peer_chunks WHERE peer = ?').pluck().all(peer) as string[]);
  }

  // ---- history
  recordExchange(entry: Omit<Exchange, 'id'>): void {
    this.db
      .prepare('INSERT INTO bundle_exchanges (direction, at, peer, digest, sequence, bytes, outcome, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(entry.direction, entry.at, entry.peer, entry.digest, entry.sequence, entry.bytes, entry.outcome, entry.summary);
  }

  exchanges(limit: number): Exchange[] {
    return this.db.prepare('SELECT id, direction, at, peer, sequence, bytes, outcome, summary, digest FROM bundle_exchanges ORDER BY at DESC, id DESC LIMIT ?').all(limit) as Exchange[];
  }

  lastExchangeAt(): string | null {
    return (this.db.prepare('SELECT max(at) FROM bundle_exchanges').pluck().get() as string | null) ?? null;
  }

  /** Sequences of our bundles that `peer` acknowledged (null: any HQ we trust); a bundle for everyone ('*') counts for each. */
  acknowledgedSequences(peer: string | null): number[] {
    const byPeer = peer === null ? "recipient IN (SELECT site_id FROM trusted_peers WHERE role = 'hq')" : 'recipient = @peer';
    return this.db
      .prepare(`SELECT sequence FROM bundles_sent WHERE acknowledged_at IS NOT NULL AND (recipient = '*' OR ${byPeer}) ORDER BY sequence`)
      .pluck()
      .all(peer === null ? {} : { peer }) as number[];
  }

  /** When a model release last arrived from HQ (the health report's model staleness). */
  newestModelImportedAt(): string | null {
    return (this.db.prepare("SELECT max(updated_at) FROM sync_records WHERE kind = 'model' AND origin = 'imported'").pluck().get() as string | null) ?? null;
  }
}
