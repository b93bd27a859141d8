import { createHash, timingSafeEqual } from 'node:crypto';

/** Keys look like `opk_<id>_<secret>`: the id names the key in lists and logs, the secret never leaves the answer that created it. */
export const API_KEY_PREFIX = 'opk_';

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}_${secret}`;
}

/** A key is 256 random bits, so an unsalted SHA-256 is as strong as the key (no dictionary to attack). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The id part of a presented key, to find its record before comparing hashes; null when it is not one of ours. */
export function apiKeyId(key: string): string | null {
  const match = /^opk_([a-z0-9]{8,16})_[A-Za-z0-9_-]{20,100}$/.exec(key);
  return match ? (match[1] as string) : null;
}

export interface ApiKeyRecord {
  id: string;
  app: string;
  hash: string;
  models: string[] | null;
}

/**
 * The configured keys, checked against presented ones. A key whose hash matched once is remembered, as
 * bytes compared in constant time, for as long as this set of keys lives (a reload builds a new one, so a
 * revoked key is forgotten with it): hashing on every request would be the costliest part of
 * authentication on the hot path (README, "Hot path"). One remembered value per configured key at most,
 * so wrong keys cannot grow it.
 */
export class ApiKeyRing {
  private readonly byId: ReadonlyMap<string, ApiKeyRecord>;
  private readonly verified = new Map<string, Buffer>();

  constructor(keys: readonly ApiKeyRecord[]) {
    this.byId = new Map(keys.map((key) => [key.id, key]));
  }

  /** The record of the key presented, or null when it is not a key here (unknown, mistyped or revoked). */
  verify(presented: string): ApiKeyRecord | null {
    const id = apiKeyId(presented);
    const record = id === null ? undefined : this.byId.get(id);
    if (id === null || record === undefined) return null;
    const bytes = Buffer.from(presented, 'utf8');
    const known = this.verified.get(id);
    if (known) return known.length === bytes.length && timingSafeEqual(known, bytes) ? record : null;
    if (!sameHash(record.hash, hashApiKey(presented))) return null;
    this.verified.set(id, bytes);
    return record;
  }
}

/** `Authorization: Bearer <key>` → the key, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] as string) : null;
}
