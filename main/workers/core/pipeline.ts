import { OutpostError } from '../../../shared/errors.js';
import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import { KNOWN_HOSTS_FILE, TUNNEL_KEY_FILE, type WorkerSpec } from './engines/index.js';
import type { Clock, DeploymentSpec, DeploymentStore, HeadApi, RemoteHosts } from './ports.js';
import { parsePreflight } from './preflight.js';
import { parseStatus, removeKeysScript, startScript, statusScript, stopScript, tailScript } from './remote-scripts.js';

const STOP_GRACE_SECONDS = 5;
/** A host that stops answering (hung, or its packets dropped) must count as unreachable within a few
 * supervision rounds, not after the 30 s any other remote command may take. */
const STATUS_TIMEOUT_MS = 5_000;
const LISTEN_SCRIPT = `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { n = split($2, a, ":"); print "listen", a[n] }'`;

const groupByNode = (workers: readonly WorkerSpec[]): Map<string, WorkerSpec[]> => {
  const byNode = new Map<string, WorkerSpec[]>();
  for (const w of workers) byNode.set(w.node, [...(byNode.get(w.node) ?? []), w]);
  return byNode;
};

/**
 * Starting, checking and stopping one deployment's processes on their hosts:
 * what the launch, a restart and the supervisor share.
 */
export class Pipeline {
  constructor(
    readonly id: string,
    readonly spec: DeploymentSpec,
    private readonly hosts: RemoteHosts,
    private readonly ports: { repository: DeploymentStore; head: HeadApi; clock: Clock; owner: string },
  ) {}

  endpoint(node: string): { address: string; port: number } {
    return this.hosts.endpoint(node);
  }

  get head(): WorkerSpec {
    const head = this.spec.workers.find((w) => w.role === 'head');
    if (!head) throw new Error('a deployment without a head');
    return head;
  }

  get apiUrl(): string {
    const listen = this.head.listen;
    if (!listen) throw new Error('the head listens nowhere');
    return `http://${listen.host}:${listen.port}`;
  }

  private runDir(node: string): string {
    const dir = this.spec.runDirs[node];
    if (!dir) throw new Error(`no run dir for ${node}`);
    return dir;
  }

  /** Not cancellable midway: a start cut off between spawning and writing its pid file would leave an orphan. */
  async startWorker(worker: WorkerSpec): Promise<number> {
    const out = await this.hosts.check(worker.node, startScript(this.runDir(worker.node), this.id, worker, this.ports.owner), `starting ${worker.name}`);
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    this.ports.repository.setWorker(this.id, worker.name, { state: 'starting', pid: Number.isFinite(pid) ? pid : null, startedAt: this.ports.clock.now().toISOString(), lastError: null });
    return pid;
  }

  /** Waits until every port is listening on its node (rpc-servers and tunnels, before the head dials them). */
  async waitListening(workers: readonly WorkerSpec[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.ports.clock.elapsedMs() + timeoutMs;
    for (const [node, group] of groupByNode(workers.filter((w) => w.listen))) {
      for (;;) {
        const listening = parsePreflight(await this.hosts.check(node, LISTEN_SCRIPT, 'reading listening ports', { signal })).listening;
        const missing = group.filter((w) => !listening.has(w.listen?.port ?? -1));
        if (!missing.length) break;
        if (this.ports.clock.elapsedMs() > deadline) {
          const status = await this.status(missing);
          const dead = missing.filter((w) => status.get(w.name) === false);
          const why = dead.length ? `${dead.map((w) => w.name).join(', ')} exited: ${await this.lastLines(dead[0] as WorkerSpec, 3)}` : `${missing.map((w) => `${w.name} (port ${w.listen?.port})`).join(', ')} not listening after ${timeoutMs / 1000} s`;
          throw new OutpostError('UNAVAILABLE', `on ${node}: ${why}`, `see \`outpost logs ${this.id}\``);
        }
        await this.ports.clock.sleep(150, signal);
      }
    }
  }

  /** Starts the workers in order; the head only once what it dials is listening. Then waits for the head's readiness. */
  async startAll(workers: readonly WorkerSpec[], readinessPath: string, timeoutMs: number, signal: AbortSignal | undefined, onReady?: (fraction: number) => void): Promise<void> {
    const started: WorkerSpec[] = [];
    for (const worker of workers) {
      if (worker.role === 'head' && started.length) await this.waitListening(started, 30_000, signal);
      if (signal?.aborted) throw new OutpostError('CANCELLED', 'cancelled');
      await this.startWorker(worker);
      started.push(worker);
    }
    if (workers.some((w) => w.role === 'head')) {
      await this.waitReady(readinessPath, timeoutMs, signal, onReady);
      await this.afterReady();
    }
    for (const worker of workers) this.ports.repository.setWorker(this.id, worker.name, { state: 'running' });
  }

  /** What the workers asked to run once the head is ready (an rpc-server's cache sealed); a host that fails it is left as it is. */
  private async afterReady(): Promise<void> {
    const byNode = new Map<string, Set<string>>();
    for (const w of this.spec.workers) if (w.afterReady) byNode.set(w.node, (byNode.get(w.node) ?? new Set<string>()).add(w.afterReady));
    await Promise.all([...byNode].map(([node, scripts]) => this.hosts.run(node, [...scripts].join('\n')).catch(() => undefined)));
  }

  async waitReady(readinessPath: string, timeoutMs: number, signal?: AbortSignal, onReady?: (fraction: number) => void): Promise<void> {
    const started = this.ports.clock.elapsedMs();
    for (let round = 0; ; round++) {
      if (signal?.aborted) throw new OutpostError('CANCELLED', 'cancelled');
      if (await this.ports.head.healthy(this.apiUrl, readinessPath)) return;
      const elapsed = this.ports.clock.elapsedMs() - started;
      onReady?.(Math.min(0.99, elapsed / timeoutMs));
      if (round % 5 === 4 && (await this.status([this.head])).get('head') === false) {
        throw new OutpostError('UNAVAILABLE', `the head on ${this.head.node} exited while loading: ${await this.lastLines(this.head, 4)}`, `see \`outpost logs ${this.id} --worker head\``);
      }
      if (elapsed > timeoutMs) throw new OutpostError('UNAVAILABLE', `the head did not become ready within ${timeoutMs / 1000} s`, `see \`outpost logs ${this.id} --worker head\``);
      await this.ports.clock.sleep(200, signal);
    }
  }

  /** Alive per worker; null where its host could not be asked. */
  async status(workers: readonly WorkerSpec[] = this.spec.workers): Promise<Map<string, boolean | null>> {
    const result = new Map<string, boolean | null>();
    await Promise.all(
      [...groupByNode(workers)].map(async ([node, group]) => {
        try {
          const seen = parseStatus(
            await this.hosts.check(
              node,
              statusScript(
                this.runDir(node),
                this.id,
                group.map((w) => w.name),
              ),
              'checking workers',
              { timeoutMs: STATUS_TIMEOUT_MS },
            ),
          );
          for (const w of group) result.set(w.name, seen.get(w.name)?.alive ?? false);
        } catch {
          for (const w of group) result.set(w.name, null);
        }
      }),
    );
    return result;
  }

  /** TERM, then KILL after the grace period, on every host; returns the hosts that could not be reached. */
  async stopWorkers(workers: readonly WorkerSpec[] = this.spec.workers): Promise<string[]> {
    const unreachable: string[] = [];
    // The head first: it holds connections to the others.
    const ordered = [...workers].reverse();
    await Promise.all(
      [...groupByNode(ordered)].map(async ([node, group]) => {
        try {
          await this.hosts.check(
            node,
            stopScript(
              this.runDir(node),
              this.id,
              group.map((w) => w.name),
              STOP_GRACE_SECONDS,
            ),
            'stopping workers',
            { timeoutMs: (STOP_GRACE_SECONDS + 10) * 1000 },
          );
        } catch {
          unreachable.push(node);
        }
      }),
    );
    return unreachable;
  }

  /** Removes this deployment's tunnel key from every host it was installed on, and the key file on the head. */
  async removeKeys(): Promise<string[]> {
    const unreachable: string[] = [];
    for (const node of this.spec.keyNodes) {
      try {
        await this.hosts.check(node, removeKeysScript(this.spec.keyMarker), 'removing the tunnel key');
      } catch {
        unreachable.push(node);
      }
    }
    const head = this.head;
    try {
      const files = [TUNNEL_KEY_FILE, KNOWN_HOSTS_FILE].map((f) => shellQuote(`${this.runDir(head.node)}/${f}`));
      await this.hosts.check(head.node, `rm -f ${files.join(' ')}`, 'removing the tunnel key file');
    } catch {
      unreachable.push(head.node);
    }
    return unreachable;
  }

  async lastLines(worker: WorkerSpec, lines: number): Promise<string> {
    try {
      const out = await this.hosts.check(worker.node, tailScript(this.runDir(worker.node), worker.name, lines), 'reading the log');
      return out.trim().split('\n').slice(-lines).join(' | ').slice(0, 600) || '(empty log)';
    } catch {
      return '(log unreadable)';
    }
  }

  async tail(worker: WorkerSpec, lines: number): Promise<string[]> {
    const out = await this.hosts.check(worker.node, tailScript(this.runDir(worker.node), worker.name, lines), 'reading the log');
    return out.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  }
}
