import type { Statement } from 'better-sqlite3';
import type { Db } from '../../platform/store/index.js';
import { DEFAULT_TELEMETRY_SETTINGS, TelemetrySettingsSchema, type Alert, type Sample, type SeriesLine, type TelemetryReport, type TelemetrySettings } from '../../../shared/domain/telemetry.js';
import { nextRollupRange, sourceMatches, type ChartWindow } from '../core/buckets.js';

const DAY = 86_400;
/** Bucket sizes a site report may use, finest first. */
const REPORT_BUCKETS = [60, 300, 900, 3600, 4 * 3600, DAY];

interface SeriesRow {
  id: number;
  source: string;
  metric: string;
  unit: string;
}

/** [bucket index, samples, min, avg, max]: arrays, not objects, keep a 72 h chart's thousands of rows cheap. */
type Bucket = [number, number, number, number, number];

/**
 * Telemetry in SQLite. Samples of one series sit together (the primary key
 * starts with the series), so every query here is a range over one series:
 * charts, rollups and pruning never scan the table, whatever its size.
 */
export class TelemetryStore {
  /** Series ids by source then metric: a tick looks up hundreds, and building a joint key for each would be its largest cost. */
  private readonly ids = new Map<string, Map<string, number>>();
  private readonly insertSample: Statement;
  private readonly insertSeries: Statement;
  private readonly selectSeriesId: Statement;

  constructor(
    private readonly db: Db,
    private readonly nowSeconds: () => number,
  ) {
    this.insertSample = db.prepare('INSERT OR REPLACE INTO telemetry_samples (series_id, ts, value) VALUES (?, ?, ?)');
    this.insertSeries = db.prepare('INSERT OR IGNORE INTO telemetry_series (source, metric, unit, created_at) VALUES (?, ?, ?, ?)');
    this.selectSeriesId = db.prepare('SELECT id FROM telemetry_series WHERE source = ? AND metric = ?').pluck();
  }

  /** Stores one tick's samples in one transaction; returns how many were stored. */
  ingest(samples: readonly Sample[]): number {
    if (samples.length === 0) return 0;
    this.db.transaction(() => {
      for (const s of samples) this.insertSample.run(this.seriesId(s), s.ts, s.value);
    })();
    return samples.length;
  }

  private seriesId(s: Sample): number {
    let byMetric = this.ids.get(s.source);
    if (!byMetric) this.ids.set(s.source, (byMetric = new Map<string, number>()));
    let id = byMetric.get(s.metric);
    if (id === undefined) {
      this.insertSeries.run(s.source, s.metric, s.unit, this.nowSeconds());
      id = this.selectSeriesId.get(s.source, s.metric) as number;
      byMetric.set(s.metric, id);
    }
    return id;
  }

  allSeries(): SeriesRow[] {
    return this.db.prepare('SELECT id, source, metric, unit FROM telemetry_series ORDER BY source, metric').all() as SeriesRow[];
  }

  /** The newest raw sample of each series (an index seek each). */
  latest(): Array<SeriesRow & { ts: number | null; value: number | null }> {
    const newest = this.db.prepare('SELECT ts, value FROM telemetry_samples WHERE series_id = ? ORDER BY ts DESC LIMIT 1');
    return this.allSeries().map((row) => {
      const found = newest.get(row.id) as { ts: number; value: number } | undefined;
      return { ...row, ts: found?.ts ?? null, value: found?.value ?? null };
    });
  }

  /** One chart: a line per matching series, bucketed in SQL; minutes not rolled up yet come from the raw samples. */
  lines(metric: string, source: string | undefined, window: ChartWindow): SeriesLine[] {
    const series = (this.db.prepare('SELECT id, source, metric, unit FROM telemetry_series WHERE metric = ? ORDER BY source').all(metric) as SeriesRow[]).filter((s) => sourceMatches(source, s.source));
    const { from, to, bucketSeconds: b } = window;
    // Bound numbers arrive as REAL: the casts keep the bucket index an integer division.
    const bucket = '(ts - CAST(@from AS INTEGER)) / CAST(@b AS INTEGER)';
    const raw = this.db.prepare(`SELECT ${bucket} AS k, count(*), min(value), avg(value), max(value) FROM telemetry_samples WHERE series_id = @id AND ts >= @lo AND ts <= @hi GROUP BY k ORDER BY k`).raw();
    // Buckets of whole five-minute periods read the five-minute tier: a 72 h chart then reads 864 rows per line, not 4,320.
    const tier = b % 300 === 0 && from % 300 === 0 ? 'telemetry_rollups_5m' : 'telemetry_rollups';
    // When the bucket is the tier's own period, its rows are the buckets: no grouping (and no sort) needed.
    const aggregate = b !== (tier === 'telemetry_rollups_5m' ? 300 : 60);
    const rolled = this.db
      .prepare(
        aggregate
          ? `SELECT ${bucket} AS k, sum(n), min(min), sum(avg * n) / sum(n), max(max) FROM ${tier} WHERE series_id = @id AND ts >= @lo AND ts <= @hi GROUP BY k ORDER BY k`
          : `SELECT ${bucket} AS k, n, min, avg, max FROM ${tier} WHERE series_id = @id AND ts >= @lo AND ts <= @hi ORDER BY ts`,
      )
      .raw();
    const mark = this.rolledUpto();
    return series.map((s) => {
      let buckets: Bucket[];
      if (window.resolution === 'raw') {
        buckets = raw.all({ id: s.id, from, b, lo: from, hi: to }) as Bucket[];
      } else {
        const old = mark > from ? (rolled.all({ id: s.id, from, b, lo: from, hi: Math.min(to, mark - 1) }) as Bucket[]) : [];
        const recent = mark <= to ? (raw.all({ id: s.id, from, b, lo: Math.max(from, mark), hi: to }) as Bucket[]) : [];
        buckets = mergeBuckets(old, recent);
      }
      return {
        source: s.source,
        metric: s.metric,
        unit: s.unit,
        t: buckets.map((x) => from + x[0] * b),
        min: buckets.map((x) => x[2]),
        avg: buckets.map((x) => x[3]),
        max: buckets.map((x) => x[4]),
      };
    });
  }

  rolledUpto(): number {
    return this.db.prepare('SELECT rolled_upto FROM telemetry_rollup_mark').pluck().get() as number;
  }

  /**
   * Rolls up the next complete minutes (at most maxMinutes) of every series
   * into min/avg/max, and the five-minute periods they touch from those
   * minutes (a period rolled in part is completed by the next step); returns
   * the range, or null when caught up.
   */
  rollupStep(maxMinutes: number): { from: number; to: number } | null {
    const range = nextRollupRange(this.rolledUpto(), this.nowSeconds(), maxMinutes);
    if (!range) return null;
    const roll = this.db.prepare(
      'INSERT OR REPLACE INTO telemetry_rollups (series_id, ts, n, min, avg, max) SELECT series_id, (ts / 60) * 60, count(*), min(value), avg(value), max(value) FROM telemetry_samples WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY ts / 60',
    );
    const roll5 = this.db.prepare(
      'INSERT OR REPLACE INTO telemetry_rollups_5m (series_id, ts, n, min, avg, max) SELECT series_id, (ts / 300) * 300, sum(n), min(min), sum(avg * n) / sum(n), max(max) FROM telemetry_rollups WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY ts / 300',
    );
    const period = Math.floor(range.from / 300) * 300;
    this.db.transaction(() => {
      for (const s of this.allSeries()) {
        roll.run(s.id, range.from, range.to);
        roll5.run(s.id, period, range.to);
      }
      this.db.prepare('UPDATE telemetry_rollup_mark SET rolled_upto = ?').run(range.to);
    })();
    return range;
  }

  /** Deletes samples and rollups past retention, at most `maxSpanSeconds` of each series per call; returns the rows deleted. */
  pruneStep(cutoffs: { raw: number; rollup: number }, maxSpanSeconds: number): number {
    let deleted = 0;
    // Raw minutes not rolled up yet are kept whatever their age, so nothing is lost unsummarised.
    const rawCutoff = Math.min(cutoffs.raw, this.rolledUpto());
    this.db.transaction(() => {
      for (const [table, cutoff] of [
        ['telemetry_samples', rawCutoff],
        ['telemetry_rollups', cutoffs.rollup],
        ['telemetry_rollups_5m', cutoffs.rollup],
      ] as const) {
        const oldest = this.db.prepare(`SELECT min(ts) FROM ${table} WHERE series_id = ?`).pluck();
        const remove = this.db.prepare(`DELETE FROM ${table} WHERE series_id = ? AND ts < ?`);
        for (const s of this.allSeries()) {
          const first = oldest.get(s.id) as number | null;
          if (first === null || first >= cutoff) continue;
          deleted += remove.run(s.id, Math.min(cutoff, first + maxSpanSeconds)).changes;
        }
      }
    })();
    return deleted;
  }

  /**
   * Rollups after `since` for a site's bundle, at most about `maxRows` rows:
   * when the backlog of minutes is larger, they are merged into coarser
   * buckets (5 min … 1 day) so that one bundle still covers everything up to
   * the last rolled-up minute; only a backlog too large even for daily buckets
   * is cut short (and `upto` says where the next bundle continues).
   */
  report(since: number, maxRows: number): TelemetryReport {
    const series = this.allSeries();
    const mark = this.rolledUpto();
    const firstRollup = this.db.prepare('SELECT min(ts) FROM telemetry_rollups WHERE series_id = ? AND ts > ?').pluck();
    const starts = series.map((s) => firstRollup.get(s.id, since) as number | null).filter((t): t is number => t !== null);
    if (starts.length === 0 || mark - 1 <= since) return { since, upto: since, bucketSeconds: 60, series: [] };
    const from = Math.max(since + 1, Math.min(...starts));
    const fits = (bucket: number, end: number): boolean => Math.ceil((end - from + 1) / bucket) * series.length <= maxRows;
    const bucketSeconds = REPORT_BUCKETS.find((b) => fits(b, mark - 1)) ?? DAY;
    const upto = fits(bucketSeconds, mark - 1) ? mark - 1 : from - 1 + Math.max(1, Math.floor(maxRows / series.length)) * DAY;
    const rows = this.db.prepare('SELECT CAST(ts / @b AS INTEGER) * @b AS t, sum(n), min(min), sum(avg * n) / sum(n), max(max) FROM telemetry_rollups WHERE series_id = @id AND ts > @since AND ts <= @upto GROUP BY t ORDER BY t').raw();
    const carried = series.map((s) => ({ source: s.source, metric: s.metric, unit: s.unit, rows: rows.all({ id: s.id, b: bucketSeconds, since, upto }) as Array<[number, number, number, number, number]> })).filter((s) => s.rows.length > 0);
    return { since, upto, bucketSeconds, series: carried };
  }

  /** Remembers how far the bundle with this sequence carries telemetry (a re-used sequence, after a cancelled export, replaces it). */
  noteExport(sequence: number, upto: number): void {
    this.db.prepare('INSERT OR REPLACE INTO telemetry_exports (sequence, upto_ts) VALUES (?, ?)').run(sequence, upto);
  }

  /** How far these bundles (the ones a peer acknowledged) carried telemetry: the furthest cursor among them. */
  exportedUpto(sequences: readonly number[]): number {
    if (!sequences.length) return 0;
    return (this.db.prepare('SELECT max(upto_ts) FROM telemetry_exports WHERE sequence IN (SELECT value FROM json_each(?))').pluck().get(JSON.stringify(sequences)) as number | null) ?? 0;
  }

  /** The oldest stored second after `cursor`, raw or rolled up; null when nothing newer is stored. */
  oldestAfter(cursor: number): number | null {
    const first = (table: string): number | null => {
      const q = this.db.prepare(`SELECT min(ts) FROM ${table} WHERE series_id = ? AND ts > ?`).pluck();
      const found = this.allSeries()
        .map((s) => q.get(s.id, cursor) as number | null)
        .filter((t): t is number => t !== null);
      return found.length ? Math.min(...found) : null;
    };
    const candidates = [first('telemetry_rollups'), first('telemetry_samples')].filter((t): t is number => t !== null);
    return candidates.length ? Math.min(...candidates) : null;
  }

  settings(): TelemetrySettings {
    const stored = Object.fromEntries((this.db.prepare('SELECT key, value FROM telemetry_settings').all() as Array<{ key: string; value: number }>).map((r) => [r.key, r.value]));
    return TelemetrySettingsSchema.parse({ ...DEFAULT_TELEMETRY_SETTINGS, ...Object.fromEntries(Object.entries(stored).filter(([k]) => k in DEFAULT_TELEMETRY_SETTINGS)) });
  }

  setSettings(changes: Partial<TelemetrySettings>): TelemetrySettings {
    const upsert = this.db.prepare('INSERT INTO telemetry_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(changes)) if (value !== undefined) upsert.run(key, value);
    })();
    return this.settings();
  }

  /** Raises an alert unless the same one is active; returns it when it is new. */
  raise(alert: Omit<Alert, 'clearedAt' | 'acknowledgedAt'>): Alert | null {
    const active = this.db.prepare('SELECT 1 FROM telemetry_alerts WHERE key = ? AND cleared_at IS NULL').get(alert.key);
    if (active) return null;
    this.db
      .prepare(
        'INSERT INTO telemetry_alerts (key, severity, source, message, raised_at, cleared_at) VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, source = excluded.source, message = excluded.message, raised_at = excluded.raised_at, cleared_at = NULL, acknowledged_at = NULL',
      )
      .run(alert.key, alert.severity, alert.source, alert.message, alert.raisedAt);
    return { ...alert, clearedAt: null, acknowledgedAt: null };
  }

  /** Clears an active alert; returns it when it was active. */
  clear(key: string, at: string): Alert | null {
    const changed = this.db.prepare('UPDATE telemetry_alerts SET cleared_at = ? WHERE key = ? AND cleared_at IS NULL').run(at, key).changes;
    return changed ? (this.alerts(true).find((a) => a.key === key) ?? null) : null;
  }

  /**
   * Clears event alerts (a restart) raised before `raisedBefore`, and forgets
   * cleared alerts older than `forgetBefore`; returns the alerts it cleared.
   */
  expireAlerts(eventPrefix: string, raisedBefore: string, forgetBefore: string, at: string): Alert[] {
    const expiring = this.alerts(false).filter((a) => a.key.startsWith(eventPrefix) && a.raisedAt < raisedBefore);
    this.db.transaction(() => {
      for (const a of expiring) this.db.prepare('UPDATE telemetry_alerts SET cleared_at = ? WHERE key = ?').run(at, a.key);
      this.db.prepare('DELETE FROM telemetry_alerts WHERE cleared_at IS NOT NULL AND cleared_at < ?').run(forgetBefore);
    })();
    return expiring.map((a) => ({ ...a, clearedAt: at }));
  }

  /** Marks an active alert seen; returns it, or null when no such alert is active. Acknowledging twice keeps the first time. */
  acknowledge(key: string, at: string): Alert | null {
    this.db.prepare('UPDATE telemetry_alerts SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE key = ? AND cleared_at IS NULL').run(at, key);
    return this.alerts(false).find((a) => a.key === key) ?? null;
  }

  /** One series' raw samples in [from, to], oldest first, as [second, value]. */
  rawSamples(source: string, metric: string, from: number, to: number): Array<[number, number]> {
    const id = this.selectSeriesId.get(source, metric) as number | undefined;
    if (id === undefined) return [];
    return this.db.prepare('SELECT ts, value FROM telemetry_samples WHERE series_id = ? AND ts >= ? AND ts <= ? ORDER BY ts').raw().all(id, from, to) as Array<[number, number]>;
  }

  alerts(all: boolean): Alert[] {
    return this.db.prepare(`SELECT key, severity, source, message, raised_at AS raisedAt, cleared_at AS clearedAt, acknowledged_at AS acknowledgedAt FROM telemetry_alerts ${all ? '' : 'WHERE cleared_at IS NULL'} ORDER BY raised_at DESC, key`).all() as Alert[];
  }
}

/** Buckets of the same index from rollups and raw samples, combined with the average weighted by sample counts. */
function mergeBuckets(a: Bucket[], b: Bucket[]): Bucket[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const byK = new Map<number, Bucket>(a.map((x) => [x[0], x]));
  for (const x of b) {
    const y = byK.get(x[0]);
    byK.set(x[0], y ? [x[0], x[1] + y[1], Math.min(x[2], y[2]), (x[3] * x[1] + y[3] * y[1]) / (x[1] + y[1]), Math.max(x[4], y[4])] : x);
  }
  return [...byK.values()].sort((p, q) => p[0] - q[0]);
}
