import { z } from 'zod';

/** The first visit, in order: each step is also a place in the window afterwards (`page`). */
export const SETUP_STEPS = ['identity', 'ssh-key', 'hq-trust', 'scan', 'host-keys', 'inventory'] as const;
export const SetupStepIdSchema = z.enum(SETUP_STEPS);
export type SetupStepId = z.infer<typeof SetupStepIdSchema>;

export const SetupStepSchema = z.object({
  id: SetupStepIdSchema,
  title: z.string(),
  done: z.boolean(),
  /** What is done, or what to do next, in a sentence. */
  detail: z.string(),
  /** The window's page where this lives once the first visit is over (a route path). */
  page: z.string(),
});
export type SetupStep = z.infer<typeof SetupStepSchema>;

export const SetupStateSchema = z.object({
  /** No identity or no node yet: the window opens on the guided first visit. */
  needed: z.boolean(),
  /** The first step not done; `inventory` once everything before it is. */
  current: SetupStepIdSchema,
  steps: z.array(SetupStepSchema),
});
export type SetupState = z.infer<typeof SetupStateSchema>;
