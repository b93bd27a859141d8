/** Seconds per bucket a chart may use: round numbers people read on an axis. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

export interface ChartWindow {
  from: number;
  to: number;
  bucketSeconds: number;
  /** raw samples when they still cover the window and buckets are under a minute; minute rollups otherwise. */
  resolution: 'raw' | 'rollup';
}

/**
 * Picks the bucket size and the table a chart reads: the smallest round step
 * that keeps the window within maxPoints buckets. Windows reaching back past
 * the raw retention, or with buckets of a minute or more, read the rollups:
 * they hold 60x fewer rows, which is what keeps a 72 h chart fast.
 */
export function chartWindow(request: { from?: number | undefined; to?: number | undefined; maxPoints: number }, nowSeconds: number, rawRetentionSeconds: number): ChartWindow {
  const to = request.to ?? nowSeconds;
  const from = Math.min(request.from ?? to - 3600, to);
  const span = Math.max(1, to - from);
  const wanted = span / request.maxPoints;
  let bucketSeconds = STEPS.find((s) => s >= wanted) ?? Math.ceil(wanted / 86_400) * 86_400;
  const rawCovers = from >= nowSeconds - rawRetentionSeconds;
  const resolution = bucketSeconds < 60 && rawCovers ? 'raw' : 'rollup';
  if (resolution === 'rollup') bucketSeconds = Math.max(60, bucketSeconds);
  // Buckets align to the step so that a live chart's buckets do not shift as time moves on.
  return { from: Math.floor(from / bucketSeconds) * bucketSeconds, to, bucketSeconds, resolution };
}

/** The minutes a maintenance step rolls up next: complete minutes after the mark, at most `maxMinutes` of them. */
export function nextRollupRange(rolledUpto: number, nowSeconds: number, maxMinutes: number, graceSeconds = 5): { from: number; to: number } | null {
  // A minute is complete once its last second plus a little grace for late samples has passed.
  const lastComplete = Math.floor((nowSeconds - graceSeconds) / 60) * 60;
  const from = rolledUpto === 0 ? lastComplete - 60 : rolledUpto;
  if (from >= lastComplete) return null;
  return { from, to: Math.min(lastComplete, from + maxMinutes * 60) };
}

/** Oldest second kept for raw samples and for rollups. */
export function retentionCutoffs(nowSeconds: number, limits: { rawRetentionHours: number; rollupRetentionDays: number }): { raw: number; rollup: number } {
  return { raw: Math.floor(nowSeconds - limits.rawRetentionHours * 3600), rollup: Math.floor(nowSeconds - limits.rollupRetentionDays * 86_400) };
}

/** Whether a source prefix (`gpu:` or `node:a/`) or exact source names this one. */
export function sourceMatches(filter: string | undefined, source: string): boolean {
  if (filter === undefined) return true;
  return filter.endsWith(':') || filter.endsWith('/') ? source.startsWith(filter) : source === filter;
}

/** A chart line's columns: bucket starts and min/avg/max, null where a bucket holds no sample. */
export interface BucketColumns {
  t: number[];
  min: Array<number | null>;
  avg: Array<number | null>;
  max: Array<number | null>;
}

/**
 * Every bucket of the window, null where none was stored: a chart drawing
 * these leaves the empty stretch as a gap instead of bridging it with a line.
 */
export function withEmptyBuckets(line: BucketColumns, window: Pick<ChartWindow, 'from' | 'to' | 'bucketSeconds'>): BucketColumns {
  const at = new Map(line.t.map((t, i) => [t, i]));
  const filled: BucketColumns = { t: [], min: [], avg: [], max: [] };
  for (let t = window.from; t <= window.to; t += window.bucketSeconds) {
    const i = at.get(t);
    filled.t.push(t);
    filled.min.push(i === undefined ? null : (line.min[i] ?? null));
    filled.avg.push(i === undefined ? null : (line.avg[i] ?? null));
    filled.max.push(i === undefined ? null : (line.max[i] ?? null));
  }
  return filled;
}
