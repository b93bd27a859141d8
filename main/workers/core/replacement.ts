import type { PlanResult } from '../../../shared/domain/planner.js';
import type { Deployment, Replan } from '../../../shared/domain/workers.js';
import { OutpostError } from '../../../shared/errors.js';
import type { LaunchInput } from './launch.js';
import type { Pipeline } from './pipeline.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, relaunchInput, switchover } from './switchover.js';
import { requireSpec, type DeploymentSpec, type RemoteHosts, type WorkersPorts } from './ports.js';

/** What a replacement needs of the WorkersService beside the ports. */
export interface ReplacementHost {
  get(id: string): Deployment;
  launch(input: LaunchInput, signal: AbortSignal | undefined): Promise<Deployment>;
  pipelineOf(id: string): { pipeline: Pipeline; hosts: RemoteHosts };
  stop(id: string): Promise<Deployment>;
}

/** A replacement's API port: beside the broken deployment's, which a restore takes back while the replacement still serves. */
export const replacementPort = (port: number): number => (port < 65535 ? port + 1 : port - 1);

const listed = (nodes: readonly string[]): string => nodes.join(', ');

/** What the surviving hosts offer and what would fit, from the planner's own explanation. */
export function noFitDetail(plan: PlanResult, lost: readonly string[], note: string | null = null): string {
  if (plan.feasible) return '';
  const fits = plan.fitsWith.length ? `; it would fit with ${plan.fitsWith.join(', or with ')}` : '';
  return `no surviving hardware fits ${plan.model.name} ${plan.model.quant} without ${listed(lost)}: ${plan.reason}${fits}.${note ? ` ${note}` : ''}`;
}

/**
 * Re-planning a deployment whose hosts were lost, and going back once they return. The supervisor decides when
 * (grace period, once per loss); these are the steps, each journaled and shown on the deployment (Replan).
 */
export class Replacements {
  constructor(
    private readonly deps: WorkersPorts,
    private readonly host: ReplacementHost,
    private readonly drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS,
  ) {}

  private spec(id: string): DeploymentSpec {
    return requireSpec(this.deps.repository, id);
  }

  private setReplan(id: string, replan: Omit<Replan, 'at'> | null): void {
    const { replan: _previous, ...spec } = this.spec(id);
    this.deps.repository.setSpec(id, replan ? { ...spec, replan: { ...replan, at: this.deps.clock.now().toISOString() } } : spec);
    const deployment = this.host.get(id);
    if (replan) this.deps.events.changed({ deploymentId: id, deploymentState: deployment.state, worker: null, workerState: null, restarts: null, reason: replan.detail });
  }

  private record(action: string, input: Record<string, unknown>, detail: string, failed = false): void {
    this.deps.journal.record({ actor: 'system', user: 'supervisor', action, input, outcome: failed ? 'error' : 'ok', ...(failed ? { errorCode: 'UNAVAILABLE' } : {}), detail });
  }

  /** Inside the grace period: the deployment says when it will be re-planned (written once per loss). */
  waiting(id: string, lost: readonly string[], graceMs: number): void {
    const current = this.spec(id).replan;
    if (current?.state === 'waiting' && listed(current.lostNodes) === listed(lost)) return;
    this.setReplan(id, {
      state: 'waiting',
      lostNodes: [...lost],
      replaces: current?.replaces ?? null,
      replacedBy: null,
      detail: `${listed(lost)} cannot be reached; re-planned on the surviving hosts if still unreachable after ${Math.round(graceMs / 1000)} s`,
      canRestore: false,
    });
  }

  /** The lost hosts answer again before (or after a failed) re-plan: the deployment recovers as it is. */
  recovered(id: string): void {
    const current = this.spec(id).replan;
    if (current && (current.state === 'waiting' || current.state === 'no-fit' || current.state === 'failed')) this.setReplan(id, null);
  }

  /**
   * Plans the same model on what is left, stops what the broken pipeline still runs on the surviving hosts (it
   * serves nothing, the router withdrew it when it degraded, and it holds the API port and the memory the new
   * plan needs), launches the new plan (its endpoint registered under the same model name once ready), then
   * marks the broken deployment stopped, replaced. No fit, or a failed launch: it stays degraded and says why.
   */
  async replace(id: string, lost: readonly string[], signal?: AbortSignal): Promise<Deployment | null> {
    const broken = this.host.get(id);
    const spec = this.spec(id);
    const base = { lostNodes: [...lost], replaces: spec.replan?.replaces ?? null, replacedBy: null, canRestore: false };
    this.record('workers.replan-started', { deployment: id, lost }, `${listed(lost)} unreachable past the grace period: re-planning ${broken.model} on the surviving hosts`);
    this.setReplan(id, { ...base, state: 'replanning', detail: `${listed(lost)} unreachable past the grace period: planning ${broken.model} on the surviving hosts` });
    let planned: Awaited<ReturnType<WorkersPorts['replans']['planWithout']>>;
    try {
      planned = await this.deps.replans.planWithout(broken.planId, lost, signal);
    } catch (error) {
      const noFit = error instanceof OutpostError && error.code === 'PRECONDITION';
      return this.failed(id, base, noFit ? 'no-fit' : 'failed', noFit ? (error as Error).message : `re-planning failed: ${(error as Error).message}`);
    }
    if (!planned.plan.feasible || planned.planId === null) return this.failed(id, base, 'no-fit', noFitDetail(planned.plan, lost, planned.note ?? null));
    const plan = planned.plan;
    const { pipeline, hosts } = this.host.pipelineOf(id);
    try {
      await pipeline.stopWorkers(spec.workers.filter((w) => !lost.includes(w.node)));
    } finally {
      hosts.close();
    }
    const replacementId = `dep-${this.deps.newId()}`;
    const where = listed([...new Set(plan.stages.map((s) => s.node))]);
    this.setReplan(id, { ...base, state: 'replanning', replacedBy: replacementId, detail: `launching ${replacementId}: plan ${planned.planId} on ${where}` });
    try {
      await this.host.launch(relaunchInput(broken, spec, planned.planId, replacementId, replacementPort(spec.relaunch?.port ?? 8181)), signal);
    } catch (error) {
      return this.failed(id, base, 'failed', `the re-planned launch ${replacementId} on ${where} failed: ${(error as Error).message}`);
    }
    // The replacement serves under the same model name from here on; the broken one's endpoint goes for good.
    this.deps.router.withdraw(id);
    this.deps.repository.setServing(id, { endpoint: null });
    this.setReplan(replacementId, { ...base, state: 'replacement', replaces: id, detail: `stands in for ${id}, which lost ${listed(lost)}` });
    const detail = `replaced by ${replacementId} (plan ${planned.planId} on ${where}${planned.note ? `; ${planned.note}` : ''}): ${listed(lost)} unreachable`;
    await this.stopBroken(id, detail);
    this.setReplan(id, { ...base, state: 'replaced', replacedBy: replacementId, detail });
    this.record('workers.replanned', { deployment: id, replacement: replacementId, planId: planned.planId, lost }, detail);
    return this.host.get(replacementId);
  }

  private failed(id: string, base: Omit<Replan, 'at' | 'state' | 'detail'>, state: 'no-fit' | 'failed', detail: string): null {
    this.setReplan(id, { ...base, state, detail });
    this.record('workers.replan-failed', { deployment: id, lost: base.lostNodes }, detail, true);
    return null;
  }

  /** Its keys removed where they can be; what the lost hosts keep is stopped when they return (see probeLost). */
  private async stopBroken(id: string, detail: string): Promise<void> {
    if (!this.deps.repository.transition(id, ['degraded', 'ready'], 'stopping', detail, this.deps.clock.now().toISOString())) return;
    const { pipeline, hosts } = this.host.pipelineOf(id);
    try {
      await pipeline.removeKeys();
    } finally {
      hosts.close();
    }
    for (const worker of pipeline.spec.workers) this.deps.repository.setWorker(id, worker.name, { state: 'stopped', pid: null });
    this.deps.repository.setState(id, 'stopped', detail, this.deps.clock.now().toISOString());
    this.deps.events.changed({ deploymentId: id, deploymentState: 'stopped', worker: null, workerState: null, restarts: null, reason: detail });
  }

  /**
   * On a replacement: do the hosts its original lost answer again? Then what the original left on them (workers,
   * its tunnel key) is stopped, and the replacement says it can go back to the original plan.
   */
  async probeLost(replacementId: string): Promise<boolean> {
    const replan = this.spec(replacementId).replan;
    if (replan?.state !== 'replacement' || replan.canRestore || !replan.replaces) return false;
    const { pipeline, hosts } = this.host.pipelineOf(replan.replaces);
    try {
      const answers = await Promise.all(
        replan.lostNodes.map((node) =>
          hosts.run(node, 'true', { timeoutMs: 10_000 }).then(
            (r) => r.exitCode === 0,
            () => false,
          ),
        ),
      );
      if (!answers.every(Boolean)) return false;
      await pipeline.stopWorkers(pipeline.spec.workers.filter((w) => replan.lostNodes.includes(w.node)));
      await pipeline.removeKeys();
    } finally {
      hosts.close();
    }
    const original = this.host.get(replan.replaces);
    const detail = `${listed(replan.lostNodes)} answer again: \`outpost restore ${replacementId}\` launches the original plan ${original.planId} and moves the traffic back`;
    this.setReplan(replacementId, { ...replan, canRestore: true, detail });
    this.record('workers.restorable', { deployment: replacementId, original: replan.replaces, nodes: replan.lostNodes }, detail);
    return true;
  }

  /** Launches the original plan again beside the replacement, then stops the replacement (its endpoint withdrawn once the original serves). */
  async restore(replacementId: string, signal?: AbortSignal): Promise<Deployment> {
    const replan = this.spec(replacementId).replan;
    if (replan?.state !== 'replacement' || !replan.replaces) {
      throw new OutpostError('PRECONDITION', `${replacementId} does not stand in for another deployment`, 'only a deployment that replaced one after a lost host goes back');
    }
    if (!replan.canRestore) throw new OutpostError('PRECONDITION', `${listed(replan.lostNodes)} (lost by ${replan.replaces}) do not answer yet`, 'wait until `outpost workers` says the deployment can go back');
    const original = this.host.get(replan.replaces);
    const originalSpec = this.spec(replan.replaces);
    const restoredId = `dep-${this.deps.newId()}`;
    this.record('workers.restore-started', { deployment: replacementId, original: original.id, planId: original.planId }, `launching the original plan ${original.planId} as ${restoredId}`);
    try {
      const launch = relaunchInput(original, originalSpec, original.planId, restoredId, originalSpec.relaunch?.port ?? 8181);
      await switchover(this.deps, this.host, { from: replacementId, launch, drainTimeoutMs: this.drainTimeoutMs, signal });
    } catch (error) {
      this.record('workers.restore-failed', { deployment: replacementId, original: original.id }, (error as Error).message, true);
      throw error;
    }
    const detail = `back on the original plan ${original.planId} as ${restoredId}`;
    this.setReplan(replacementId, { ...replan, canRestore: false, replacedBy: restoredId, detail });
    this.record('workers.restored', { deployment: replacementId, restored: restoredId, planId: original.planId }, detail);
    return this.host.get(restoredId);
  }
}
