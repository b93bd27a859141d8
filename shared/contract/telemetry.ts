import { z } from 'zod';
import { defineCall, defineEvent } from './define.js';
import { DashboardSchema, NodeLivenessSchema } from '../domain/dashboard.js';
import { AlertSchema, HealthReportSchema, SeriesInfoSchema, SeriesQuerySchema, SeriesResultSchema, TelemetrySettingsSchema } from '../domain/telemetry.js';

export const telemetryCalls = {
  'telemetry.series': defineCall({
    summary: 'Chart lines for one metric (all sources, one source or a source prefix) over a time window, at most maxPoints buckets each with min/avg/max.',
    input: SeriesQuerySchema,
    output: SeriesResultSchema,
    mutates: false,
  }),
  'telemetry.sources': defineCall({
    summary: 'Every series with its newest value and whether it went stale (its source stopped answering).',
    input: z.object({}).strict(),
    output: z.array(SeriesInfoSchema),
    mutates: false,
  }),
  'telemetry.alerts': defineCall({
    summary: 'Alerts raised by the sampler (stale sources, restarts, unreachable nodes), newest first; cleared ones only with all.',
    input: z.object({ all: z.boolean().default(false) }).strict(),
    output: z.array(AlertSchema),
    mutates: false,
  }),
  'telemetry.acknowledge': defineCall({
    summary: 'Acknowledge an active alert: it stays listed, marked acknowledged, until its condition clears.',
    input: z.object({ key: z.string().min(1).max(300) }).strict(),
    output: AlertSchema,
    mutates: true,
  }),
  'telemetry.nodes': defineCall({
    summary: 'Each remote node: up, silent (its telemetry stopped, since when) or presenting a changed host key.',
    input: z.object({}).strict(),
    output: z.array(NodeLivenessSchema),
    mutates: false,
  }),
  'telemetry.dashboard': defineCall({
    summary: "The site dashboard: hours offline against the limit, active alerts, nodes up/silent/key-changed, deployments, the router's last 15 min (rate, TTFT p50/p99), GPU fill per node.",
    input: z.object({}).strict(),
    output: DashboardSchema,
    mutates: false,
  }),
  'telemetry.health': defineCall({
    summary: 'The offline health report: hours since the last bundle exchange, model staleness, key age, telemetry not yet acknowledged by HQ, nodes not seen, degraded workers.',
    input: z.object({}).strict(),
    output: HealthReportSchema,
    mutates: false,
  }),
  'telemetry.settings.show': defineCall({
    summary: 'The limits the health report and retention use.',
    input: z.object({}).strict(),
    output: TelemetrySettingsSchema,
    mutates: false,
  }),
  'telemetry.settings.set': defineCall({
    summary: 'Change some limits (e.g. the offline limit in hours); the others keep their values.',
    input: TelemetrySettingsSchema.partial().strict(),
    output: TelemetrySettingsSchema,
    mutates: true,
  }),
};

export const telemetryEvents = {
  'telemetry.tick': defineEvent({
    summary: 'The sampler stored one second of samples (how many, from how many sources) — a cue for live charts to refresh.',
    payload: z.object({ ts: z.number().int(), samples: z.number().int().min(0), sources: z.number().int().min(0) }),
  }),
  'telemetry.alert': defineEvent({ summary: 'An alert was raised or cleared.', payload: AlertSchema }),
};
