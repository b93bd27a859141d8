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
