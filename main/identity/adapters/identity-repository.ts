import type { KeyHistoryEntry, KeyKind, Role, SiteIdentity } from '../../../shared/domain/identity.js';
import type { Db } from '../../platform/store/index.js';

interface IdentityRow {
  site_id: string;
  role: Role;
  created_at: string;
}

interface KeyRow {
  kind: KeyKind;
  algorithm: 'ed25519';
  public_key: string;
  fingerprint: string;
  created_at: string;
  retired_at: string | null;
  rotation_signature: string | null;
}

export interface NewKey {
  kind: KeyKind;
  publicKey: string;
  fingerprint: string;
  rotationSignature: string | null;
}

/** Site identity and key history rows. Public keys only: private keys never reach SQLite. */
export class IdentityRepository {
  constructor(private readonly db: Db) {}

  get(): SiteIdentity | null {
    const row = this.db.prepare('SELECT site_id, role, created_at FROM site_identity WHERE singleton = 1').get() as IdentityRow | undefined;
    if (!row) return null;
    const keys = (this.db.prepare('SELECT * FROM key_history ORDER BY id').all() as KeyRow[]).map(toEntry);
    const active = (kind: KeyKind) => {
      const entry = keys.find((k) => k.kind === kind && k.retiredAt === null);
      if (!entry) throw new Error(`the store has an identity but no active ${kind} key`);
      const { retiredAt: _r, rotationSignature: _s, ...key } = entry;
      return key;
    };
    return {
      siteId: row.site_id,
      role: row.role,
      createdAt: row.created_at,
      signingKey: active('signing'),
      sshKey: active('ssh'),
      history: keys,
    };
  }

  /** Replaces the identity (init, init --force): old keys stay in the history as retired. */
  replace(identity: { siteId: string; role: Role; createdAt: string }, keys: NewKey[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM site_identity').run();
      this.db.prepare('INSERT INTO site_identity (singleton, site_id, role, created_at) VALUES (1, ?, ?, ?)').run(identity.siteId, identity.role, identity.createdAt);
      for (const key of keys) this.insertActive(key, identity.createdAt);
    })();
  }

  rotate(keys: NewKey[], at: string): void {
    this.db.transaction(() => {
      for (const key of keys) this.insertActive(key, at);
    })();
  }

  private insertActive(key: NewKey, at: string): void {
    this.db.prepare('UPDATE key_history SET retired_at = ? WHERE kind = ? AND retired_at IS NULL').run(at, key.kind);
    this.db
      .prepare(
        `INSERT INTO key_history (kind, algorithm, public_key, fingerprint, created_at, retired_at, rotation_signature)
         VALUES (?, 'ed25519', ?, ?, ?, NULL, ?)`,
      )
      .run(key.kind, key.publicKey, key.fingerprint, at, key.rotationSignature);
  }
}

function toEntry(row: KeyRow): KeyHistoryEntry {
  return {
    kind: row.kind,
    algorithm: row.algorithm,
    publicKey: row.public_key,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    rotationSignature: row.rotation_signature,
  };
}
