import type { TrafficSecond } from '../../../shared/domain/router.js';

const KEEP_SECONDS = 120;
const SAMPLES_PER_SECOND = 4096;

interface Bucket {
  at: number;
  requests: number;
  errors: number;
  /** The second's TTFT samples while it is the current one; summarised and dropped once it is over. */
  ttfts: number[];
  summary: TrafficSecond | null;
}

/**
 * Requests, errors and TTFT percentiles per second, for the last two minutes: the Router page's charts.
 * A finished second is summarised once, so a snapshot (every second, on the proxy's event loop) sorts
 * only the current second's samples.
 */
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
    return this.buckets.filter((b) => b.at > newest - KEEP_SECONDS).map((b) => b.summary ?? summarise(b));
  }

  private bucket(second: number): Bucket {
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === second) return last;
    if (last) {
      last.summary = summarise(last);
      last.ttfts = [];
    }
    const fresh: Bucket = { at: second, requests: 0, errors: 0, ttfts: [], summary: null };
    this.buckets.push(fresh);
    while (this.buckets.length > KEEP_SECONDS) this.buckets.shift();
    return fresh;
  }
}

function summarise(bucket: Bucket): TrafficSecond {
  const sorted = [...bucket.ttfts].sort((x, y) => x - y);
  return { at: bucket.at, requests: bucket.requests, errors: bucket.errors, ttftP50Ms: percentile(sorted, 0.5), ttftP99Ms: percentile(sorted, 0.99) };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[index] as number) * 10) / 10;
}
