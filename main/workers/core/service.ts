import type { ParsedInput } from '../../../shared/contract/index.js';
import type { Deployment, LogTail } from '../../../shared/domain/workers.js';
import { OutpostError } from '../../../shared/errors.js';
import { ENGINES } from './engines/index.js';
import { Launch, type LaunchInput } from './launch.js';
import { launchLogin, type LaunchLogin } from './launch-login.js';
import { stopOrphans, type OrphanSweep } from './orphans.js';
import { Pipeline } from './pipeline.js';
import { requireSpec, type NodeAddress, type RemoteHosts, type WorkersDeps, type WorkersPorts } from './ports.js';
import { Replacements } from './replacement.js';
import { Rollouts, rolloutOf } from './rollout.js';

/** Launch, list, stop, restart, logs and test prompts; the supervisor lives beside it (supervisor.ts). */
export class WorkersService<Endpoint extends NodeAddress = NodeAddress> {
  private readonly launches = new Map<string, Promise<Deployment>>();
  /** The plan of each launch in progress: before preflight passes it is on no record yet. */
  private readonly launchPlans = new Map<string, string>();
  private readonly deps: WorkersPorts;
  /** Re-planning after a lost host, and going back (replacement.ts); the supervisor decides when. */
  readonly replacements: Replacements;
  /** Moving a deployment to another version of its release and back (rollout.ts). */
  readonly rollouts: Rollouts;

  constructor({ endpoints, openHosts, ...ports }: WorkersDeps<Endpoint>, options: { drainTimeoutMs?: number | undefined } = {}) {
    this.deps = { ...ports, openHosts: (nodes, user, keyPath) => openHosts(endpoints(nodes, user, keyPath)) };
    this.replacements = new Replacements(this.deps, this, options.drainTimeoutMs);
    this.rollouts = new Rollouts(this.deps, this, options.drainTimeoutMs);
  }

  rollout(input: ParsedInput<'workers.rollout'>, signal?: AbortSignal): Promise<Deployment> {
    return this.rollouts.rollout(input.deployment, input.to, { deploymentId: input.deploymentId, signal });
  }

  rollback(input: ParsedInput<'workers.rollback'>, signal?: AbortSignal): Promise<Deployment> {
    return this.rollouts.rollback(input.deployment, { deploymentId: input.deploymentId, signal });
  }

  /** Launches the original plan of a replacement again and moves the traffic back (see Replacements.restore). */
  restore(id: string, signal?: AbortSignal): Promise<Deployment> {
    return this.replacements.restore(id, signal);
  }

  async launch(input: LaunchInput, signal: AbortSignal | undefined): Promise<Deployment> {
    const id = input.deploymentId ?? `dep-${this.deps.newId()}`;
    if (this.deps.repository.exists(id) || this.launches.has(id)) throw new OutpostError('CONFLICT', `a deployment ${id} already exists`, 'choose another id, or leave it out');
    const job = this.deps.jobs.start('workers.launch', { id, signal });
    const running = new Launch(this.deps, input, id, job.signal).run().finally(() => job.finish());
    this.launches.set(id, running);
    this.launchPlans.set(id, input.planId);
    try {
      return this.withActuals(await running);
    } catch (error) {
      if (job.signal.aborted) throw new OutpostError('CANCELLED', `the launch of ${id} was stopped; what it started was stopped and its keys removed`, 'launch again when ready');
      throw error;
    } finally {
      this.launches.delete(id);
      this.launchPlans.delete(id);
    }
  }

  /** The login a launch of this plan uses when none is given, with each host's inventoried login (see launchLogin). */
  launchLogin(planId: string): LaunchLogin {
    const plan = this.deps.plans(planId);
    const fileNode = this.deps.models.fileOfPlan(planId)?.node;
    const nodes = [...new Set([...(plan.feasible ? plan.stages : []).map((s) => s.node), ...(fileNode ? [fileNode] : [])])];
    return launchLogin(nodes, this.deps.inventoriedLogin, this.deps.localUser);
  }

  /**
   * The live deployments that need a stored plan: those launched from it, and replacements that can go back to
   * it (a restore launches the original plan again), and launches in progress.
   */
  deploymentsUsingPlan(planId: string): string[] {
    const live = this.deps.repository
      .list(false)
      .filter((d) => d.planId === planId || (d.replan?.state === 'replacement' && d.replan.replaces !== null && this.deps.repository.get(d.replan.replaces)?.planId === planId))
      .map((d) => d.id);
    const launching = [...this.launchPlans].flatMap(([id, plan]) => (plan === planId ? [id] : []));
    return [...new Set([...live, ...launching])];
  }

  list(all: boolean): Deployment[] {
    return this.deps.repository.list(all).map((d) => this.withActuals(d));
  }

  get(id: string): Deployment {
    const deployment = this.deps.repository.get(id);
    if (!deployment) throw new OutpostError('NOT_FOUND', `there is no deployment ${id}`, 'see `outpost workers` for the deployments');
    return this.withActuals(deployment);
  }

  /** Plan vs actual, when the launch measured it; the release it runs and what a rollout or rollback could do. */
  private withActuals(deployment: Deployment): Deployment {
    const actuals = this.deps.actuals?.get(deployment.id);
    const spec = this.deps.repository.spec(deployment.id);
    const previousId = spec?.rollout?.previous?.deployment;
    const rollout = spec?.release ? rolloutOf(deployment, spec, this.deps.releases?.list() ?? [], previousId ? this.deps.repository.get(previousId) : null) : undefined;
    return {
      ...deployment,
      ...(actuals ? { actuals } : {}),
      ...(spec?.release ? { modelName: spec.release.name, modelVersion: spec.release.version } : {}),
      ...(rollout ? { rollout } : {}),
    };
  }

  /** A pipeline over fresh shells on one deployment's hosts; the caller closes the hosts. */
  pipelineOf(id: string): { pipeline: Pipeline; hosts: RemoteHosts } {
    const spec = requireSpec(this.deps.repository, id);
    const hosts = this.deps.openHosts([...new Set(spec.workers.map((w) => w.node))], spec.user, spec.keyPath ?? undefined);
    return { pipeline: new Pipeline(id, spec, hosts, this.deps), hosts };
  }

  /** Stops everything (a launch in progress is cancelled and rolls itself back). */
  async stop(id: string): Promise<Deployment> {
    const inFlight = this.launches.get(id);
    if (inFlight) {
      this.deps.jobs.cancel(id, 'workers.launch');
      await inFlight.catch(() => undefined);
      return this.get(id);
    }
    const deployment = this.get(id);
    if (deployment.state === 'stopped') return deployment;
    // From here on a supervisor round leaves this deployment alone (its transitions need ready or degraded).
    this.deps.repository.setState(id, 'stopping', null, this.deps.clock.now().toISOString());
    this.deps.router.withdraw(id);
    this.deps.repository.setServing(id, { endpoint: null });
    const { pipeline, hosts } = this.pipelineOf(id);
    try {
      const unreachable = [...new Set([...(await pipeline.stopWorkers()), ...(await pipeline.removeKeys())])];
      const detail = unreachable.length ? `stopped; could not reach ${unreachable.map((node) => this.leftOn(deployment, pipeline, node)).join('; ')}` : 'stopped';
      for (const worker of pipeline.spec.workers) this.deps.repository.setWorker(id, worker.name, { state: 'stopped', pid: null });
      this.deps.repository.setState(id, 'stopped', detail, this.deps.clock.now().toISOString());
      this.deps.events.changed({ deploymentId: id, deploymentState: 'stopped', worker: null, workerState: null, restarts: null, reason: detail });
      return this.get(id);
    } finally {
      hosts.close();
    }
  }

  /** What a Stop had to leave on an unreachable node, by name and pid, for the one who cleans up by hand. */
  private leftOn(deployment: Deployment, pipeline: Pipeline, node: string): string {
    const { address, port } = pipeline.endpoint(node);
    const workers = deployment.workers.filter((w) => w.node === node).map((w) => `${w.name}${w.pid === null ? '' : ` (pid ${w.pid})`}`);
    const key = pipeline.spec.keyNodes.includes(node) ? `; its authorized_keys may keep the tunnel key marked ${pipeline.spec.keyMarker}` : '';
    return `${node} (${address}:${port}) — ${workers.length ? `${workers.join(', ')} may still run there` : 'nothing of it ran there'}${key}`;
  }

  /**
   * Stops what this data dir's earlier runs left on the hosts its deployments used (see stopOrphans): the
   * long-lived core does this once when it starts supervising. Hosts are asked as each deployment's login.
   */
  async stopOrphans(): Promise<OrphanSweep> {
    const logins = new Map<string, { user: string; keyPath: string | null; nodes: Set<string> }>();
    for (const deployment of this.deps.repository.list(true)) {
      const spec = this.deps.repository.spec(deployment.id);
      if (!spec) continue;
      const key = JSON.stringify([spec.user, spec.keyPath]);
      const login = logins.get(key) ?? { user: spec.user, keyPath: spec.keyPath, nodes: new Set<string>() };
      for (const worker of spec.workers) login.nodes.add(worker.node);
      logins.set(key, login);
    }
    const sweep: OrphanSweep = { stopped: [], unreachable: [] };
    for (const { user, keyPath, nodes } of logins.values()) {
      for (const node of nodes) {
        let hosts: RemoteHosts;
        try {
          hosts = this.deps.openHosts([node], user, keyPath ?? undefined);
        } catch {
          // A node no longer in the inventory (or without a good pin) cannot be asked.
          sweep.unreachable.push(node);
          continue;
        }
        try {
          const found = await stopOrphans(hosts, [node], { repository: this.deps.repository, journal: this.deps.journal, owner: this.deps.owner, by: 'supervisor' });
          sweep.stopped.push(...found.stopped);
          sweep.unreachable.push(...found.unreachable);
        } finally {
          hosts.close();
        }
      }
    }
    return sweep;
  }

  /**
   * Launches whose workstation process ended before they finished (killed, a power cut) would stay `launching`
   * for good: what they started is stopped, their keys removed, and they are marked failed, saying why.
   * A launch running here, or in another process that still runs, is left alone.
   */
  async failInterruptedLaunches(): Promise<string[]> {
    const failed: string[] = [];
    const { localProcesses, repository, clock } = this.deps;
    for (const deployment of repository.list(false)) {
      const launcherPid = deployment.state === 'launching' && !this.launches.has(deployment.id) ? repository.spec(deployment.id)?.launcherPid : undefined;
      if (launcherPid === undefined || launcherPid === localProcesses.self || localProcesses.alive(launcherPid)) continue;
      if (!repository.transition(deployment.id, ['launching'], 'stopping', null, clock.now().toISOString())) continue;
      this.deps.router.withdraw(deployment.id);
      const { pipeline, hosts } = this.pipelineOf(deployment.id);
      try {
        const unreachable = [...new Set([...(await pipeline.stopWorkers()), ...(await pipeline.removeKeys())])];
        for (const worker of pipeline.spec.workers) repository.setWorker(deployment.id, worker.name, { state: 'stopped', pid: null });
        const left = unreachable.length ? `; could not reach ${unreachable.map((node) => this.leftOn(deployment, pipeline, node)).join('; ')}` : '';
        const detail = `the launch was interrupted: the process that ran it (pid ${launcherPid}) ended before it finished; what it had started was stopped${left}`;
        repository.setState(deployment.id, 'failed', detail, clock.now().toISOString());
        this.deps.journal.record({ actor: 'system', user: 'supervisor', action: 'workers.launch-interrupted', input: { deployment: deployment.id }, outcome: 'error', errorCode: 'UNAVAILABLE', detail });
        this.deps.events.changed({ deploymentId: deployment.id, deploymentState: 'failed', worker: null, workerState: null, restarts: null, reason: detail });
        failed.push(deployment.id);
      } finally {
        hosts.close();
      }
    }
    return failed;
  }

  /** Restarts the whole pipeline: llama.cpp's head aborts when any RPC member fails, so the unit restarts together. */
  async restart(id: string, reason: string, signal?: AbortSignal): Promise<Deployment> {
    const deployment = this.get(id);
    if (deployment.state === 'stopped' || deployment.state === 'failed' || this.launches.has(id)) {
      throw new OutpostError('CONFLICT', `${id} is ${this.launches.has(id) ? 'launching' : deployment.state}; only a running deployment restarts`, 'launch its plan again instead');
    }
    const { pipeline, hosts } = this.pipelineOf(id);
    try {
      await this.restartPipeline(pipeline, pipeline.spec.workers, reason, 0, signal);
      return this.get(id);
    } finally {
      hosts.close();
    }
  }

  /** Withdraws the endpoint, restarts `workers` (in start order), re-registers when ready. Journaled with its reason. */
  async restartPipeline(pipeline: Pipeline, workers: Pipeline['spec']['workers'], reason: string, backoffMs: number, signal?: AbortSignal): Promise<void> {
    const id = pipeline.id;
    const at = this.deps.clock.now().toISOString();
    if (!this.deps.repository.transition(id, ['ready', 'degraded'], 'degraded', reason, at)) return;
    this.deps.router.withdraw(id);
    this.deps.repository.setServing(id, { endpoint: null });
    for (const worker of workers) {
      const restarts = this.deps.repository.recordRestart(id, worker.name, reason, backoffMs, at);
      this.deps.repository.setWorker(id, worker.name, { state: 'restarting' });
      this.deps.events.changed({ deploymentId: id, deploymentState: 'degraded', worker: worker.name, workerState: 'restarting', restarts, reason });
    }
    this.deps.journal.record({ actor: 'system', user: 'supervisor', action: 'workers.restart', input: { deployment: id, workers: workers.map((w) => w.name) }, outcome: 'ok', detail: reason });
    await pipeline.stopWorkers(workers);
    await pipeline.startAll(workers, ENGINES[this.get(id).engine].readinessPath, 120_000, signal);
    if (!this.markReady(pipeline, `recovered: ${reason}`)) {
      // A Stop came in while restarting: it may have missed what was just started.
      await pipeline.stopWorkers(workers);
    }
  }

  /** False when the deployment is no longer running (a Stop won the race). */
  markReady(pipeline: Pipeline, detail: string): boolean {
    const id = pipeline.id;
    if (!this.deps.repository.transition(id, ['degraded', 'ready'], 'ready', detail, this.deps.clock.now().toISOString())) return false;
    // Ready means every worker answered: those marked down while their host was out of reach are running again.
    for (const worker of pipeline.spec.workers) this.deps.repository.setWorker(id, worker.name, { state: 'running' });
    this.deps.router.register(id, pipeline.apiUrl, pipeline.spec.servedModel, pipeline.spec.parallel);
    this.deps.repository.setServing(id, { endpoint: id });
    this.deps.events.changed({ deploymentId: id, deploymentState: 'ready', worker: null, workerState: null, restarts: null, reason: detail });
    return true;
  }

  markDegraded(id: string, reason: string, downNodes: readonly string[]): void {
    const deployment = this.get(id);
    for (const worker of deployment.workers.filter((w) => downNodes.includes(w.node))) this.deps.repository.setWorker(id, worker.name, { state: 'down', lastError: reason });
    if (deployment.state === 'degraded' && deployment.detail === reason) return;
    if (!this.deps.repository.transition(id, ['ready', 'degraded'], 'degraded', reason, this.deps.clock.now().toISOString())) return;
    this.deps.router.withdraw(id);
    this.deps.repository.setServing(id, { endpoint: null });
    this.deps.journal.record({ actor: 'system', user: 'supervisor', action: 'workers.degraded', input: { deployment: id }, outcome: 'error', errorCode: 'UNAVAILABLE', detail: reason });
    this.deps.events.changed({ deploymentId: id, deploymentState: 'degraded', worker: null, workerState: null, restarts: null, reason });
  }

  async logs(input: ParsedInput<'workers.logs'>): Promise<LogTail[]> {
    const { pipeline, hosts } = this.pipelineOf(input.deployment);
    try {
      const workers = pipeline.spec.workers.filter((w) => input.worker === undefined || w.name === input.worker);
      if (!workers.length) throw new OutpostError('NOT_FOUND', `${input.deployment} has no worker ${input.worker}`, `its workers: ${pipeline.spec.workers.map((w) => w.name).join(', ')}`);
      return await Promise.all(workers.map(async (w) => ({ worker: w.name, node: w.node, lines: await pipeline.tail(w, input.lines) })));
    } finally {
      hosts.close();
    }
  }

  async prompt(input: ParsedInput<'workers.prompt'>, signal?: AbortSignal): Promise<{ requestId: string; text: string; tokens: number; tokensPerSecond: number; ttftMs: number }> {
    const deployment = this.get(input.deployment);
    if (!deployment.apiUrl || (deployment.state !== 'ready' && deployment.state !== 'degraded')) {
      throw new OutpostError('PRECONDITION', `${deployment.id} is ${deployment.state}, not serving`, 'wait until it is ready');
    }
    const requestId = input.requestId ?? this.deps.newId();
    try {
      const result = await this.deps.head.prompt(deployment.apiUrl, deployment.model, input.prompt, input.maxTokens, (text) => this.deps.events.token(requestId, text), signal);
      return { requestId, ...result };
    } catch (error) {
      throw new OutpostError('UNAVAILABLE', `the head of ${deployment.id} did not answer: ${(error as Error).message}`, 'see `outpost workers` and `outpost logs`');
    }
  }
}
