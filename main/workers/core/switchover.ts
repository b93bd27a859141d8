import type { Deployment } from '../../../shared/domain/workers.js';
import { OutpostError } from '../../../shared/errors.js';
import type { LaunchInput } from './launch.js';
import type { DeploymentSpec, WorkersPorts } from './ports.js';

/** How long a switchover waits for the old deployment's requests to finish before stopping it anyway. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;
const DRAIN_POLL_MS = 250;

/** What a switchover needs of the WorkersService beside the ports. */
export interface SwitchoverHost {
  get(id: string): Deployment;
  launch(input: LaunchInput, signal: AbortSignal | undefined): Promise<Deployment>;
  stop(id: string): Promise<Deployment>;
}

/** The launch of another plan for a deployment: the same engine, transport, threads, template and login. */
export function relaunchInput(from: Deployment, spec: DeploymentSpec, planId: string, deploymentId: string, port: number): LaunchInput {
  return { planId, engine: from.engine, rpcTransport: from.rpcTransport, port, threads: spec.relaunch?.threads ?? 1, template: spec.relaunch?.template, user: spec.user, key: spec.keyPath ?? undefined, deploymentId };
}

export interface SwitchoverRequest {
  /** The deployment serving now. */
  from: string;
  /** The launch of the one that takes over (its own id in `deploymentId`). */
  launch: LaunchInput;
  drainTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface SwitchoverOutcome {
  deployment: Deployment;
  /** Requests still running on the old one when the drain gave up (0: it drained). */
  cutInFlight: number;
}

/**
 * Moves the traffic of `from` to a newly launched deployment without a gap: the launch waits until the new one is
 * ready, passes its test prompt and is registered under the same model name (both serve for a moment); then `from`
 * is withdrawn from the router, drained (its in-flight requests finish, bounded by a timeout) and stopped. A
 * failed or cancelled launch stopped what it started: `from` keeps serving. A cancel while draining puts `from`
 * back in the router and stops the new one.
 */
export async function switchover(deps: WorkersPorts, host: SwitchoverHost, request: SwitchoverRequest): Promise<SwitchoverOutcome> {
  const { from, signal } = request;
  const to = request.launch.deploymentId as string;
  const progress = (message: string) => deps.events.progress({ deploymentId: to, phase: 'switch', message, fraction: null });
  const deployment = await host.launch(request.launch, signal);
  const old = host.get(from);
  const spec = deps.repository.spec(from);
  progress(`${to} serves ${deployment.model}; withdrawing ${from} from the router`);
  deps.router.withdraw(from);
  deps.repository.setServing(from, { endpoint: null });
  let cutInFlight: number;
  try {
    cutInFlight = await drain(deps, from, request.drainTimeoutMs, progress, signal);
  } catch {
    // Only a cancel ends a drain early.
    if (old.apiUrl && spec && (old.state === 'ready' || old.state === 'degraded')) {
      deps.router.register(from, old.apiUrl, spec.servedModel, spec.parallel);
      deps.repository.setServing(from, { endpoint: from });
    }
    await host.stop(to);
    throw new OutpostError('CANCELLED', `stopped while ${from} drained: ${from} serves again, ${to} was stopped`, 'start it again when ready');
  }
  progress(cutInFlight ? `${from} still had ${cutInFlight} request(s) in flight after ${Math.round(request.drainTimeoutMs / 1000)} s; stopping it` : `${from} drained; stopping it`);
  await host.stop(from);
  return { deployment: host.get(to), cutInFlight };
}

/** Waits until the router no longer sends `from` anything and its running requests ended; resolves to what was left at the timeout. */
async function drain(deps: WorkersPorts, from: string, timeoutMs: number, progress: (message: string) => void, signal: AbortSignal | undefined): Promise<number> {
  const deadline = deps.clock.elapsedMs() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new OutpostError('CANCELLED', 'cancelled while draining', '');
    const reading = deps.router.inFlight?.(from) ?? null;
    if (reading === null || (reading.applied && reading.inFlight === 0)) return 0;
    if (deps.clock.elapsedMs() >= deadline) return reading.inFlight;
    progress(reading.applied ? `draining ${from}: ${reading.inFlight} request(s) in flight` : `waiting for the router to stop sending ${from} requests`);
    await deps.clock.sleep(DRAIN_POLL_MS, signal);
  }
}
