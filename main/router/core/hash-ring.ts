/** FNV-1a, 32 bits: cheap, well spread for short keys, and the same on every run and machine. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32) so keys that differ only at the end still land far apart.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * A consistent-hash ring with virtual nodes: adding or removing one endpoint
 * moves only the keys that were on it, so prompt caches elsewhere stay warm.
 */
export class HashRing {
  private readonly points: Array<{ at: number; name: string }>;

  constructor(names: readonly string[], virtualNodes = 64) {
    this.points = names.flatMap((name) => Array.from({ length: virtualNodes }, (_, i) => ({ at: fnv1a(`${name}#${i}`), name })));
    this.points.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
  }

  /** Every endpoint once, in the order met walking clockwise from the key's point. */
  *walk(key: string): Generator<string> {
    const n = this.points.length;
    if (n === 0) return;
    const target = fnv1a(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] as { at: number }).at < target) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<string>();
    for (let step = 0; step < n; step += 1) {
      const point = this.points[(lo + step) % n] as { name: string };
      if (seen.has(point.name)) continue;
      seen.add(point.name);
      yield point.name;
    }
  }
}
