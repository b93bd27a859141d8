import { z } from 'zod';
import { AlertSchema, HealthLevelSchema } from './telemetry.js';

/** One remote node as the site sees it now: answering, silent (its telemetry stopped) or presenting a changed host key. */
export const NodeLivenessSchema = z.object({
  name: z.string(),
  state: z.enum(['up', 'silent', 'key-changed']),
  /** silent: its last sample; key-changed: when the other key was offered; up: null. */
  since: z.iso.datetime().nullable(),
  /** What is wrong, in a sentence; empty when up. */
  detail: z.string(),
});
export type NodeLiveness = z.infer<typeof NodeLivenessSchema>;

/** One node's GPU memory as the newest samples say: the dashboard's fill bar. */
export const GpuFillSchema = z.object({
  node: z.string(),
  gpus: z.number().int().min(1),
  usedMiB: z.number().min(0),
  totalMiB: z.number().positive(),
  /** used / total, 0..1. */
  fill: z.number().min(0).max(1),
  /** Mean utilisation of its GPUs (%), null when none reported it. */
  utilPercent: z.number().nullable(),
  /** The newest sample is older than the stale limit. */
  stale: z.boolean(),
});
export type GpuFill = z.infer<typeof GpuFillSchema>;

export const DashboardDeploymentSchema = z.object({
  id: z.string(),
  model: z.string(),
  state: z.string(),
  workers: z.number().int().min(0),
  workersRunning: z.number().int().min(0),
});

/** Router traffic over the last `windowSeconds`, from the router's per-second records. */
export const RouterWindowSchema = z.object({
  running: z.boolean(),
  windowSeconds: z.number().int().positive(),
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  requestsPerMinute: z.number().min(0),
  /** Request-weighted percentiles of the router's per-second TTFT percentiles; null without a measured request. */
  ttftP50Ms: z.number().nullable(),
  ttftP99Ms: z.number().nullable(),
});
export type RouterWindow = z.infer<typeof RouterWindowSchema>;

/** The home page: each tile's numbers and its next step, computed by the services (the window only formats them). */
export const DashboardSchema = z.object({
  at: z.iso.datetime(),
  level: HealthLevelSchema,
  offline: z.object({
    level: HealthLevelSchema,
    /** null before the first bundle exchange. */
    hours: z.number().nullable(),
    limitHours: z.number().positive(),
    summary: z.string(),
    /** In window terms. */
    action: z.string(),
    page: z.string().nullable(),
  }),
  /** Active alerts, the acknowledged ones too (they stay until they clear). */
  alerts: z.array(AlertSchema),
  nodes: z.array(NodeLivenessSchema),
  deployments: z.array(DashboardDeploymentSchema),
  router: RouterWindowSchema,
  gpus: z.array(GpuFillSchema),
});
export type Dashboard = z.infer<typeof DashboardSchema>;
