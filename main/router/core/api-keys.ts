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

/** `Authorization: Bearer <key>` → the key, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] as string) : null;
}
