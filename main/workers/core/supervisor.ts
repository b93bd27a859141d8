import { backoffMs, judge } from './supervision.js';
import type { Pipeline } from './pipeline.js';
import type { Clock, HeadApi, Lock, RemoteHosts } from './ports.js';
import type { WorkersService } from './service.js';

export interface SupervisorOptions {
  intervalMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** Rounds of failed health checks on a live head before it counts as dead. */
  unhealthyLimit: number;
  /** A deployment ready this long has its restart backoff reset. */
  stableMs: number;
  /** A member host unreachable this long is given up: the deployment is re-planned on the hosts left (default 2 min). */
  replanGraceMs?: number;
  /** Only one core process supervises a data dir: the one holding this lock. */
  lock: Lock;
  clock: Clock;
  head: HeadApi;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** What the supervisor asks of the deployments (WorkersService). */
export type SupervisedDeployments = Pick<WorkersService, 'list' | 'get' | 'pipelineOf' | 'markReady' | 'markDegraded' | 'restartPipeline' | 'stopOrphans' | 'failInterruptedLaunches' | 'replacements'>;

export const DEFAULT_REPLAN_GRACE_MS = 120_000;

interface Watch {
  pipeline: Pipeline;
  hosts: RemoteHosts;
  attempts: number;
  notBefore: number;
  unhealthyRounds: number;
  healthySince: number;
  /** When its hosts stopped answering (monotonic), null while they answer. */
  lostSince: number | null;
  /** Re-planned (or tried to) for this loss: once per loss, whatever came of it. */
  replanned: boolean;
}

/**
 * Runs in the long-lived core (`outpost ui`, the Electron app): one persistent
 * SSH session per host, every worker checked each round (process alive, head
 * health), restarts with capped exponential backoff. The CLI's `launch`
 * starts processes and registers them; whichever long-lived core holds the
 * data dir's supervisor lock supervises them from then on. A core that starts
 * after another ended (closed, or killed outright) adopts the running
 * deployments as they are: its first round finds their processes by tag and
 * restarts only what is gone. That first round also stops what earlier runs
 * left for deployments no longer running (WorkersService.stopOrphans).
 */
export class Supervisor {
  private readonly watches = new Map<string, Watch>();
  private cancelNext: (() => void) | null = null;
  private running = false;
  private stopped = false;
  private supervising = false;
  private swept = false;
  /** Re-plans and probes of lost hosts run beside the rounds: a launch takes minutes. */
  private readonly background = new Map<string, Promise<unknown>>();

  constructor(
    private readonly service: SupervisedDeployments,
    private readonly options: SupervisorOptions,
  ) {}

  /** Takes the data dir's supervisor lock; false when another live process holds it. */
  start(): boolean {
    // Asked again while supervising: one chain of rounds is enough.
    if (this.supervising) return true;
    if (!this.options.lock.acquire()) return false;
    this.supervising = true;
    this.schedule(0);
    return true;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.cancelNext = this.options.clock.later(delay, () => void this.round());
  }

  /** One round: every ready or degraded deployment checked side by side, then the next round scheduled. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const ids = new Set(
        this.service
          .list(false)
          .filter((d) => d.state === 'ready' || d.state === 'degraded')
          .map((d) => d.id),
      );
      for (const [id, watch] of this.watches) {
        if (!ids.has(id)) {
          watch.hosts.close();
          this.watches.delete(id);
        }
      }
      const sweep = this.swept ? Promise.resolve() : this.sweepOrphans();
      this.swept = true;
      const interrupted = this.service.failInterruptedLaunches().catch((error: unknown) => void this.options.log('ending interrupted launches failed', { error: String(error) }));
      // Side by side: a deployment whose host hangs must not hold up the checks (and restarts) of the others.
      await Promise.all([
        sweep,
        interrupted,
        ...[...ids].filter((id) => !this.background.has(id)).map((id) => (this.stopped ? Promise.resolve() : this.check(id).catch((error: unknown) => this.options.log('supervision round failed', { deployment: id, error: String(error) })))),
      ]);
    } finally {
      this.running = false;
      this.schedule(this.options.intervalMs);
    }
  }

  private async sweepOrphans(): Promise<void> {
    try {
      const sweep = await this.service.stopOrphans();
      if (sweep.stopped.length || sweep.unreachable.length) this.options.log('leftover workers of earlier runs', { stopped: sweep.stopped, unreachable: sweep.unreachable });
    } catch (error) {
      this.options.log('looking for leftover workers failed', { error: String(error) });
    }
  }

  private watch(id: string): Watch {
    let watch = this.watches.get(id);
    if (!watch) {
      const { pipeline, hosts } = this.service.pipelineOf(id);
      watch = { pipeline, hosts, attempts: 0, notBefore: 0, unhealthyRounds: 0, healthySince: this.now(), lostSince: null, replanned: false };
      this.watches.set(id, watch);
    }
    return watch;
  }

  private async check(id: string): Promise<void> {
    const watch = this.watch(id);
    const { pipeline } = watch;
    const status = await pipeline.status();
    const headUp = status.get('head') === true ? await this.options.head.healthy(pipeline.apiUrl, '/health') : null;
    watch.unhealthyRounds = headUp === false ? watch.unhealthyRounds + 1 : 0;
    const verdict = judge(
      pipeline.spec.workers.map((w) => ({ name: w.name, role: w.role, node: w.node, alive: status.get(w.name) ?? null })),
      headUp,
      watch.unhealthyRounds,
      this.options.unhealthyLimit,
    );
    const deployment = this.service.get(id);
    // A stop (from this or another process) may have begun while the round was looking.
    if (deployment.state !== 'ready' && deployment.state !== 'degraded') return;
    if (verdict.kind !== 'unreachable' && watch.lostSince !== null) {
      watch.lostSince = null;
      watch.replanned = false;
      this.service.replacements.recovered(id);
    }
    if (verdict.kind === 'healthy') {
      if (deployment.replan?.state === 'replacement' && !deployment.replan.canRestore) this.inBackground(`probe:${id}`, () => this.service.replacements.probeLost(id));
      if (deployment.state === 'degraded') {
        this.service.markReady(pipeline, 'all workers answer again');
        watch.healthySince = this.now();
      }
      if (this.now() - watch.healthySince > this.options.stableMs) watch.attempts = 0;
      return;
    }
    if (verdict.kind === 'unreachable') {
      this.service.markDegraded(id, verdict.reason, verdict.nodes);
      this.lost(id, watch, verdict.nodes);
      return;
    }
    if (this.now() < watch.notBefore) return;
    const delay = backoffMs(watch.attempts, this.options.backoffBaseMs, this.options.backoffCapMs);
    watch.attempts += 1;
    watch.notBefore = this.now() + delay;
    const workers = verdict.kind === 'restart-workers' ? pipeline.spec.workers.filter((w) => verdict.workers.includes(w.name)) : pipeline.spec.workers;
    try {
      await this.service.restartPipeline(pipeline, workers, verdict.reason, delay);
      watch.healthySince = this.now();
      watch.unhealthyRounds = 0;
    } catch (error) {
      this.service.markDegraded(id, `restart failed (${(error as Error).message}); next try in ${Math.round(delay / 1000)} s`, []);
    }
  }

  /** Past the grace period, once per loss: plan on the surviving hosts and move the traffic (Replacements.replace). */
  private lost(id: string, watch: Watch, nodes: readonly string[]): void {
    const grace = this.options.replanGraceMs ?? DEFAULT_REPLAN_GRACE_MS;
    watch.lostSince ??= this.now();
    if (watch.replanned) return;
    if (this.now() - watch.lostSince < grace) {
      this.service.replacements.waiting(id, nodes, grace);
      return;
    }
    watch.replanned = true;
    this.options.log('re-planning a deployment that lost hosts', { deployment: id, lost: nodes });
    this.inBackground(id, () => this.service.replacements.replace(id, nodes));
  }

  private inBackground(key: string, task: () => Promise<unknown>): void {
    if (this.background.has(key)) return;
    const running = task()
      .catch((error: unknown) => this.options.log('background supervision step failed', { key, error: String(error) }))
      .finally(() => this.background.delete(key));
    this.background.set(key, running);
  }

  /** Resolves when the re-plans and probes started so far have ended. */
  async settled(): Promise<void> {
    while (this.background.size) await Promise.all(this.background.values());
  }

  stop(): void {
    this.stopped = true;
    this.cancelNext?.();
    for (const watch of this.watches.values()) watch.hosts.close();
    this.watches.clear();
    if (this.supervising) this.options.lock.release();
  }

  private now(): number {
    // Backoff and the stable period are durations: a wall clock stepped back an hour must not freeze restarts.
    return this.options.clock.elapsedMs();
  }
}
