import type { z } from 'zod';
import { discoveryCalls, discoveryEvents } from './discovery.js';
import { identityCalls, identityEvents } from './identity.js';
import { plannerCalls } from './planner.js';
import { routerCalls } from './router.js';
import { setupCalls } from './setup.js';
import { syncCalls, syncEvents } from './sync.js';
import { systemCalls } from './system.js';
import { telemetryCalls, telemetryEvents } from './telemetry.js';
import { workersCalls, workersEvents } from './workers.js';

/** Every renderer⇄core call, by name `<capability>.<method>`. */
export const calls = {
  ...systemCalls,
  ...identityCalls,
  ...discoveryCalls,
  ...plannerCalls,
  ...routerCalls,
  ...syncCalls,
  ...workersCalls,
  ...telemetryCalls,
  ...setupCalls,
};

/** Every core→renderer push event. */
export const events = {
  ...identityEvents,
  ...discoveryEvents,
  ...syncEvents,
  ...workersEvents,
  ...telemetryEvents,
};

export type Calls = typeof calls;
export type CallName = keyof Calls;
/** What a caller passes (defaults may be omitted). */
export type CallInput<K extends CallName> = z.input<Calls[K]['input']>;
/** What a service receives, after the schema applied its defaults. */
export type ParsedInput<K extends CallName> = z.output<Calls[K]['input']>;
export type CallOutput<K extends CallName> = z.output<Calls[K]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]['payload']>;

export interface EventMessage<K extends EventName = EventName> {
  name: K;
  payload: EventPayload<K>;
  at: string;
  /** Rises by one with every event of this core's run, so a window can resume its stream after the last one it saw. */
  seq: number;
  /** Events this subscriber lost just before this one (its queue or the core's backlog overflowed); absent when none. */
  missed?: number;
}

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(calls, name);
}

export { type CallSpec, type EventSpec } from './define.js';
export { type Envelope, okEnvelope, errorEnvelope, HTTP_STATUS_BY_CODE } from './envelope.js';
