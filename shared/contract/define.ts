import type { z } from 'zod';

/**
 * One renderer⇄core call. Declared once; the IPC handler table, the bridge
 * routes, the renderer client and the CLI are all derived from these specs.
 */
export interface CallSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  summary: string;
  /** State-changing calls are journaled by the dispatcher, whatever the transport. */
  mutates: boolean;
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
  summary: string;
}

export function defineCall<I extends z.ZodType, O extends z.ZodType>(spec: CallSpec<I, O>): CallSpec<I, O> {
  return spec;
}

export function defineEvent<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
