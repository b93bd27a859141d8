import { z } from 'zod';
import { defineCall } from './define.js';
import { SiteProcessSchema, SystemStatusSchema } from '../domain/status.js';
import { JournalEntrySchema } from '../domain/journal.js';

export const systemCalls = {
  'system.status': defineCall({
    summary: 'What the status bar shows: site, data dir, schema, time since the last bundle exchange.',
    input: z.object({}).strict(),
    output: SystemStatusSchema,
    mutates: false,
  }),
  'system.service': defineCall({
    summary: 'What the window is attached to: the site service (pid, instance, since when, who keeps it running) or an in-process core. Never the token.',
    input: z.object({}).strict(),
    output: SiteProcessSchema,
    mutates: false,
  }),
  'system.journal': defineCall({
    summary: 'The most recent entries of the ops journal (who did what, when, with what result).',
    input: z.object({ limit: z.number().int().min(1).max(1000).default(50) }).strict(),
    output: z.array(JournalEntrySchema),
    mutates: false,
  }),
};
