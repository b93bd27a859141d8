import { z } from 'zod';
import { defineCall } from './define.js';
import { FingerprintSchema } from '../domain/identity.js';
import { SetupStateSchema } from '../domain/setup.js';

export const setupCalls = {
  'setup.state': defineCall({
    summary: 'The first visit: each step (identity, SSH key, HQ trust, scan, host keys, inventory), whether it is done, and the current one.',
    input: z.object({}).strict(),
    output: SetupStateSchema,
    mutates: false,
  }),
  'setup.confirm': defineCall({
    summary: "Record a step only the person can vouch for: the site's SSH key (by its fingerprint) is on the hosts, or the pinned host keys were reviewed.",
    input: z.discriminatedUnion('step', [z.object({ step: z.literal('ssh-key'), fingerprint: FingerprintSchema }).strict(), z.object({ step: z.literal('host-keys') }).strict()]),
    output: SetupStateSchema,
    mutates: true,
  }),
};
