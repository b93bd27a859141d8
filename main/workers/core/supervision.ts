import type { WorkerRole } from '../../../shared/domain/workers.js';

/** Capped exponential backoff: base, 2×base, 4×base… never above the cap. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
}

export interface ObservedWorker {
  name: string;
  role: WorkerRole;
  node: string;
  /** null: its host could not be asked. */
  alive: boolean | null;
}

export type Verdict =
  | { kind: 'healthy' }
  /** Its host cannot be reached: nothing to restart from here; degraded, retried. */
  | { kind: 'unreachable'; nodes: string[]; reason: string }
  /** Only these workers died and nothing else depends on them: restart just them. */
  | { kind: 'restart-workers'; workers: string[]; reason: string }
  /** A pipeline member died: llama.cpp's head aborts on the next request, so everything restarts in order. */
  | { kind: 'restart-pipeline'; reason: string };

/**
 * What the supervisor should do about one deployment, from one round of
 * checks. A dead head alone is restarted alone (its RPC members keep their
 * state); a dead rpc-server, tunnel or Ray member takes the pipeline down with
 * it, so the unit restarts; a head that is alive but fails its health check
 * for `unhealthyRounds` rounds counts as dead.
 */
export function judge(workers: readonly ObservedWorker[], headHealthy: boolean | null, unhealthyRounds: number, unhealthyLimit: number): Verdict {
  const unreachable = [...new Set(workers.filter((w) => w.alive === null).map((w) => w.node))];
  if (unreachable.length) return { kind: 'unreachable', nodes: unreachable, reason: `cannot reach ${unreachable.join(', ')} over SSH` };
  const dead = workers.filter((w) => w.alive === false);
  const members = dead.filter((w) => w.role !== 'head');
  if (members.length) {
    return { kind: 'restart-pipeline', reason: `${members.map((w) => `${w.name} on ${w.node}`).join(', ')} exited; the pipeline restarts as a unit` };
  }
  if (dead.length) return { kind: 'restart-workers', workers: dead.map((w) => w.name), reason: `${dead.map((w) => w.name).join(', ')} exited` };
  if (headHealthy === false && unhealthyRounds >= unhealthyLimit) {
    return { kind: 'restart-pipeline', reason: `the head failed its health check ${unhealthyRounds} times in a row` };
  }
  return { kind: 'healthy' };
}
