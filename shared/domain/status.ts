import { z } from 'zod';
import { RoleSchema, SiteIdSchema } from './identity.js';

export const SystemStatusSchema = z.object({
  appVersion: z.string(),
  dataDir: z.string(),
  schemaVersion: z.number().int(),
  site: z.object({ siteId: SiteIdSchema, role: RoleSchema }).nullable(),
  /** Null until the first bundle is exchanged (export or import). */
  lastBundleExchangeAt: z.iso.datetime().nullable(),
  hoursSinceLastExchange: z.number().nonnegative().nullable(),
  offlineLimitHours: z.number().positive(),
});
export type SystemStatus = z.infer<typeof SystemStatusSchema>;

/** What runs the site a window is attached to: the data dir's service, or a core the caller opened itself. */
export const SiteProcessSchema = z.object({
  kind: z.enum(['service', 'in-process']),
  pid: z.number().int().positive(),
  /** New on every start of the process: event sequence numbers start again with it. */
  instance: z.string(),
  startedAt: z.string(),
  /** Who keeps the service running; null for an in-process core. */
  managedBy: z.enum(['systemd', 'detached', 'foreground']).nullable(),
  dataDir: z.string(),
  appVersion: z.string(),
  schemaVersion: z.number().int(),
});
export type SiteProcess = z.infer<typeof SiteProcessSchema>;
