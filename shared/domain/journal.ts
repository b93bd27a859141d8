import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';

export const ActorSchema = z.enum(['cli', 'ui', 'electron', 'system']);
export type Actor = z.infer<typeof ActorSchema>;

export const JournalEntrySchema = z.object({
  id: z.number().int(),
  at: z.iso.datetime(),
  actor: ActorSchema,
  /** The OS account that ran the transport, for "who did what". */
  user: z.string(),
  action: z.string(),
  input: z.unknown(),
  outcome: z.enum(['ok', 'error']),
  errorCode: z.enum(ERROR_CODES).nullable(),
  detail: z.string().nullable(),
});
export type JournalEntry = z.infer<typeof JournalEntrySchema>;
