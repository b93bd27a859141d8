import { z } from 'zod';

/**
 * What a series measures on: `workstation`, `node:<name>`, `gpu:<node>/<index>`,
 * `router`, `endpoint:<name>`, `deployment:<id>`.
 */
export const SeriesSourceSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-z]+(:[\w.\-/@]+)?$/, 'a source is kind[:name], e.g. node:gpu-a or gpu:gpu-a/0');
export const MetricNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_.]*$/, 'a metric is lowercase words joined by dots, e.g. gpu.util');

/** One reading, as the sampler hands it to the store: seconds since the epoch. */
export interface Sample {
  source: string;
  metric: string;
  unit: string;
  ts: number;
  value: number;
}

export const SeriesInfoSchema = z.object({
  source: z.string(),
  metric: z.string(),
  unit: z.string(),
  /** Seconds since the epoch of the newest sample; null before the first. */
  lastTs: z.number().int().nullable(),
  lastValue: z.number().nullable(),
  /** No sample for longer than the stale limit: the source stopped answering. */
  stale: z.boolean(),
});
export type SeriesInfo = z.infer<typeof SeriesInfoSchema>;

export const SeriesQuerySchema = z
  .object({
    metric: MetricNameSchema,
    /** Exact source, or a prefix ending in ':' or '/' (e.g. `gpu:` for every GPU); all sources when absent. */
    source: z.string().min(1).max(200).optional(),
    /** Seconds since the epoch; defaults to the last hour. */
    from: z.number().int().nonnegative().optional(),
    to: z.number().int().nonnegative().optional(),
    maxPoints: z.number().int().min(2).max(5000).default(600),
    /** omit: only buckets holding samples; null: every bucket of the window, null where none was stored (a chart draws the gap). */
    emptyBuckets: z.enum(['omit', 'null']).default('omit'),
  })
  .strict();
export type SeriesQuery = z.infer<typeof SeriesQuerySchema>;

/** One chart line, columnar for the chart library: times (bucket starts) and min/avg/max per bucket. */
export const SeriesLineSchema = z.object({
  source: z.string(),
  metric: z.string(),
  unit: z.string(),
  t: z.array(z.number().int()),
  /** null only for an empty bucket, and only when the query asked for them (emptyBuckets: 'null'). */
  min: z.array(z.number().nullable()),
  avg: z.array(z.number().nullable()),
  max: z.array(z.number().nullable()),
});
export type SeriesLine = z.infer<typeof SeriesLineSchema>;

export const SeriesResultSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  bucketSeconds: z.number().int().positive(),
  /** raw: 1 s samples; rollup: minute rollups (older than raw retention, or wide windows). */
  resolution: z.enum(['raw', 'rollup']),
  lines: z.array(SeriesLineSchema),
});
export type SeriesResult = z.infer<typeof SeriesResultSchema>;

export const HealthLevelSchema = z.enum(['ok', 'warn', 'critical']);
export type HealthLevel = z.infer<typeof HealthLevelSchema>;

export const HEALTH_CHECKS = ['offline', 'model-staleness', 'signing-key', 'ssh-key', 'telemetry-buffer', 'nodes', 'workers'] as const;
export const HealthItemSchema = z.object({
  check: z.enum(HEALTH_CHECKS),
  level: HealthLevelSchema,
  /** The finding, in a sentence. */
  summary: z.string(),
  /** What to do about it, in a sentence (also for ok: nothing, or what to keep doing), in CLI terms: the terminal's report. */
  action: z.string(),
  /** The same advice in window terms (a page and what to do there), for the window's report. */
  windowAction: z.string(),
  /** The window page that does it (a route path such as `sync`); null when no page does. */
  page: z.string().nullable(),
  value: z.number().nullable(),
  limit: z.number().nullable(),
  unit: z.string(),
});
export type HealthItem = z.infer<typeof HealthItemSchema>;

export const HealthReportSchema = z.object({
  at: z.iso.datetime(),
  level: HealthLevelSchema,
  items: z.array(HealthItemSchema),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

export const AlertSchema = z.object({
  key: z.string(),
  severity: z.enum(['warn', 'critical']),
  source: z.string(),
  message: z.string(),
  raisedAt: z.iso.datetime(),
  clearedAt: z.iso.datetime().nullable(),
  /** Someone saw it (`telemetry.acknowledge`); it stays listed, as acknowledged, until its condition clears. */
  acknowledgedAt: z.iso.datetime().nullable().default(null),
});
export type Alert = z.infer<typeof AlertSchema>;

/** The limits the health report and retention use; each stored setting overrides its default. */
export const TelemetrySettingsSchema = z
  .object({
    offlineLimitHours: z
      .number()
      .positive()
      .max(24 * 365),
    modelStaleDays: z.number().positive().max(3650),
    keyMaxAgeDays: z.number().positive().max(3650),
    rawRetentionHours: z
      .number()
      .min(1)
      .max(24 * 30),
    rollupRetentionDays: z.number().min(1).max(3650),
    staleAfterSeconds: z.number().min(5).max(86_400),
    nodeUnseenHours: z
      .number()
      .positive()
      .max(24 * 365),
  })
  .strict();
export type TelemetrySettings = z.infer<typeof TelemetrySettingsSchema>;

export const DEFAULT_TELEMETRY_SETTINGS: TelemetrySettings = {
  offlineLimitHours: 72,
  modelStaleDays: 90,
  keyMaxAgeDays: 365,
  rawRetentionHours: 24,
  rollupRetentionDays: 30,
  staleAfterSeconds: 30,
  nodeUnseenHours: 24,
};

/** What a site carries to HQ: rollups after the cursor, bounded in size. */
export const TelemetryReportSchema = z
  .object({
    /** Rollup minutes after `since` and up to `upto` (seconds since the epoch) are in this report. */
    since: z.number().int().nonnegative(),
    upto: z.number().int().nonnegative(),
    /** Rows are buckets of this many seconds: 60 normally, coarser when a long backlog had to fit one bundle. */
    bucketSeconds: z.number().int().min(60).max(86_400),
    series: z
      .array(
        z
          .object({
            source: z.string().max(200),
            metric: z.string().max(64),
            unit: z.string().max(16),
            /** [bucket start, samples, min, avg, max] rows, oldest first. */
            rows: z.array(z.tuple([z.number().int(), z.number().int(), z.number(), z.number(), z.number()])).max(50_000),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();
export type TelemetryReport = z.infer<typeof TelemetryReportSchema>;
