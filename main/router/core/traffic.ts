import type { TrafficSecond } from '../../../shared/domain/router.js';

const KEEP_SECONDS = 120;
const SAMPLES_PER_SECOND = 4096;

interface Bucket {
  at: number;
  requests: number;
  errors: number;
  ttfts: number[];
}

/** Requests, errors and TTFT percentiles per second, for the last two minutes: the Router page's charts. */
export class TrafficSeries {
  private readonly buckets: Bucket[] = [];

  record(nowMs: number, outcome: { ok: boolean; ttftMs: number | null }): void {
    const bucket = this.bucket(Math.floor(nowMs / 1000));
    bucket.requests += 1;
    if (!outcome.ok) bucket.errors += 1;
    if (outcome.ttftMs !== null && bucket.ttfts.length < SAMPLES_PER_SECOND) bucket.ttfts.push(outcome.ttftMs);
  }

  snapshot(nowMs: number): TrafficSecond[] {
    const newest = Math.floor(nowMs / 1000);
    return this.buckets
      .filter((b) => b.at > newest - KEEP_SECONDS)
      .map((b) => {
        const sorted = [...b.ttfts].sort((x, y) => x - y);
        return { at: b.at, requests: b.requests, errors: b.errors, ttftP50Ms: percentile(sorted, 0.5), ttftP99Ms: percentile(sorted, 0.99) };
      });
  }

  private bucket(second: number): Bucket {
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === second) return last;
    const fresh = { at: second, requests: 0, errors: 0, ttfts: [] };
    this.buckets.push(fresh);
    while (this.buckets.length > KEEP_SECONDS) this.buckets.shift();
    return fresh;
  }
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[index] as number) * 10) / 10;
}
