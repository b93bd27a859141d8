import type { ModelReleaseEntry } from '../../../shared/domain/models.js';
import type { ShardPlan } from '../../../shared/domain/planner.js';
import type { Deployment, Rollout } from '../../../shared/domain/workers.js';
import { OutpostError } from '../../../shared/errors.js';
import type { LaunchInput } from './launch.js';
import { requireSpec, type DeploymentSpec, type ReleasePorts, type RolloutRecord, type WorkersPorts } from './ports.js';
import { replacementPort } from './replacement.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, relaunchInput, switchover, type SwitchoverHost } from './switchover.js';

const SERVING = new Set(['ready', 'degraded']);

/**
 * What a deployment of an HQ release can do next: a newer release of its model to roll out to, and after a
 * rollout the version to roll back to. Undefined for a deployment of a plain file or a catalog model.
 */
export function rolloutOf(deployment: Deployment, spec: DeploymentSpec | null, releases: readonly ModelReleaseEntry[], previous: Deployment | null): Rollout | undefined {
  const release = spec?.release;
  if (!release) return undefined;
  const ofName = releases.filter((r) => r.name === release.name && r.path !== null).sort((a, b) => b.recordVersion - a.recordVersion);
  const running = ofName.find((r) => r.version === release.version);
  const newest = ofName[0];
  const serving = SERVING.has(deployment.state);
  const newer = serving && newest && newest.version !== release.version && (running === undefined || newest.recordVersion > running.recordVersion);
  const back = serving && spec.rollout?.previous && previous !== null ? spec.rollout.previous : null;
  return { availableVersion: newer ? newest.version : null, rollbackTo: back, detail: spec.rollout?.detail ?? null };
}

/** Whether the new plan keeps the old one's stages (same nodes, same layer ranges). */
export function samePlanShape(a: ShardPlan, b: ShardPlan): boolean {
  const shape = (p: ShardPlan) => p.stages.map((s) => `${s.node}:${s.firstLayer}-${s.lastLayer}`).join(' ');
  return shape(a) === shape(b);
}

/**
 * Rollout and rollback: another version of a deployment's release takes its traffic without a gap (switchover.ts:
 * launch, ready, test prompt, registered under the same model name, the old one withdrawn, drained, stopped). The
 * old one's file stays in the data dir, so going back is one more switchover. Each step is journaled; a new
 * version that fails its launch or test prompt is stopped and the old one keeps serving, saying so.
 */
export class Rollouts {
  constructor(
    private readonly deps: WorkersPorts,
    private readonly host: SwitchoverHost,
    private readonly drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS,
  ) {}

  private spec(id: string): DeploymentSpec {
    return requireSpec(this.deps.repository, id);
  }

  private releases(): ReleasePorts {
    if (!this.deps.releases) throw new OutpostError('UNAVAILABLE', 'this installation keeps no model releases', 'import a bundle from HQ first');
    return this.deps.releases;
  }

  private note(id: string, rollout: RolloutRecord): void {
    this.deps.repository.setSpec(id, { ...this.spec(id), rollout });
  }

  private record(action: string, input: Record<string, unknown>, detail: string, failed = false): void {
    this.deps.journal.record({ actor: 'system', user: 'workers', action, input, outcome: failed ? 'error' : 'ok', ...(failed ? { errorCode: 'UNAVAILABLE' } : {}), detail });
  }

  /** A serving deployment of an HQ release, or a refusal saying what it is. */
  private serving(id: string): { deployment: Deployment; spec: DeploymentSpec; release: NonNullable<DeploymentSpec['release']> } {
    const deployment = this.host.get(id);
    const spec = this.spec(id);
    if (!spec.release) throw new OutpostError('PRECONDITION', `${id} runs ${deployment.model}, not an HQ release: only a release has versions to move between`, 'plan and launch the model by name (`outpost plan --model <name>@<version>`)');
    if (!SERVING.has(deployment.state)) throw new OutpostError('PRECONDITION', `${id} is ${deployment.state}; only a serving deployment moves to another version`, 'launch it again instead');
    return { deployment, spec, release: spec.release };
  }

  /** Launches version `to` of the deployment's release beside it, moves the traffic, stops the old one. */
  async rollout(id: string, to: string, options: { deploymentId?: string | undefined; signal?: AbortSignal | undefined } = {}): Promise<Deployment> {
    const { deployment, spec, release } = this.serving(id);
    if (release.version === to) throw new OutpostError('CONFLICT', `${id} already runs ${release.name} version ${to}`, 'pick another version (`outpost models` lists them)');
    const releases = this.releases();
    const known = releases.list().filter((r) => r.name === release.name);
    if (!known.some((r) => r.version === to)) {
      throw new OutpostError('NOT_FOUND', `${release.name} has no version ${JSON.stringify(to)}`, `HQ released: ${known.map((r) => r.version).join(', ') || 'none'} (\`outpost models\`)`);
    }
    const planned = await releases.planWith(deployment.planId, `${release.name}@${to}`, options.signal);
    if (!planned.plan.feasible || planned.planId === null) {
      const reason = planned.plan.feasible ? 'it was not stored' : planned.plan.reason;
      throw new OutpostError('PRECONDITION', `${release.name} version ${to} does not fit on the nodes of ${id}: ${reason}`, `${id} keeps serving version ${release.version}; free memory on its nodes or plan again`);
    }
    const oldPlan = this.deps.plans(deployment.planId);
    const shape = oldPlan.feasible && samePlanShape(oldPlan, planned.plan) ? 'the same plan shape' : `a re-plan on the same nodes (${planned.plan.stages.map((s) => `${s.node} ${s.firstLayer}-${s.lastLayer}`).join(', ')})`;
    const newId = options.deploymentId ?? `dep-${this.deps.newId()}`;
    const steps = `${release.name} ${release.version} → ${to}`;
    this.record('workers.rollout-started', { deployment: id, to, planId: planned.planId, replacement: newId }, `${steps}: launching ${newId} with ${shape}`);
    const launch = relaunchInput(deployment, spec, planned.planId, newId, replacementPort(spec.relaunch?.port ?? 8181));
    return this.switchTo(id, launch, { version: release.version, action: 'rollout', steps, signal: options.signal });
  }

  /** Launches again the version a rollout replaced (its plan and kept file), moves the traffic back, stops this one. */
  async rollback(id: string, options: { deploymentId?: string | undefined; signal?: AbortSignal | undefined } = {}): Promise<Deployment> {
    const { release } = this.serving(id);
    const previous = this.spec(id).rollout?.previous;
    if (!previous) throw new OutpostError('PRECONDITION', `${id} did not replace an earlier version: there is nothing to roll back to`, 'roll out the version you want instead (`outpost rollout <deployment> --to <version>`)');
    const before = this.host.get(previous.deployment);
    const beforeSpec = this.spec(previous.deployment);
    const newId = options.deploymentId ?? `dep-${this.deps.newId()}`;
    const steps = `${release.name} ${release.version} → ${previous.version}`;
    this.record('workers.rollback-started', { deployment: id, to: previous.version, planId: before.planId, replacement: newId }, `${steps}: launching ${newId} from plan ${before.planId}`);
    const launch = relaunchInput(before, beforeSpec, before.planId, newId, beforeSpec.relaunch?.port ?? 8181);
    return this.switchTo(id, launch, { version: release.version, action: 'rollback', steps, signal: options.signal });
  }

  private async switchTo(id: string, launch: LaunchInput, how: { version: string; action: 'rollout' | 'rollback'; steps: string; signal: AbortSignal | undefined }): Promise<Deployment> {
    const newId = launch.deploymentId as string;
    let outcome: Awaited<ReturnType<typeof switchover>>;
    try {
      outcome = await switchover(this.deps, this.host, { from: id, launch, drainTimeoutMs: this.drainTimeoutMs, signal: how.signal });
    } catch (error) {
      const message = (error as Error).message;
      const detail = `${how.action} ${how.steps} failed: ${message}; ${id} keeps serving version ${how.version}, ${newId} was stopped`;
      this.note(id, { ...this.spec(id).rollout, detail });
      this.record(`workers.${how.action}-failed`, { deployment: id, replacement: newId }, detail, true);
      if (error instanceof OutpostError && error.code === 'CANCELLED') throw new OutpostError('CANCELLED', detail, `${how.action} again when ready`);
      throw new OutpostError('UNAVAILABLE', detail, `see \`outpost workers --all\` and \`outpost logs ${newId}\``);
    }
    const cut = outcome.cutInFlight ? `; ${outcome.cutInFlight} request(s) were still running on ${id} when the drain timed out` : '';
    const detail = `${how.action === 'rollout' ? 'rolled out' : 'rolled back'} ${how.steps}: ${newId} serves, ${id} stopped${cut}`;
    this.note(id, { ...this.spec(id).rollout, detail });
    // After a rollout the new one remembers what it replaced; a rollback's result starts afresh (a rollout is offered again).
    const versionOfOld = this.spec(id).release?.version ?? how.version;
    this.note(newId, how.action === 'rollout' ? { previous: { deployment: id, version: versionOfOld }, detail } : { detail });
    this.record(`workers.${how.action === 'rollout' ? 'rolled-out' : 'rolled-back'}`, { deployment: id, replacement: newId }, detail);
    return this.host.get(newId);
  }
}
