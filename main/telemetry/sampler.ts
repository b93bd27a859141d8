import type { RouterStats } from '../../shared/domain/router.js';
import type { Alert, Sample } from '../../shared/domain/telemetry.js';
import type { FollowedCommand, RemoteShell } from '../platform/ssh/index.js';
import type { SiteFacts } from './core/site-facts.js';
import type { TelemetryStore } from './adapters/telemetry-store.js';
import { retentionCutoffs } from './core/buckets.js';
import { GPU_QUERY_FIELDS, gpuLineSamples, tegrastatsSamples } from './core/gpu-lines.js';
import { alertChanges, deploymentSamples, routerSamples } from './core/site-samples.js';
import { PROC_STREAM, procLineSamples, type CpuCounters } from './core/proc-lines.js';

/** A pinned SSH session to a node (as the login its scan stored), one per streamed command. */
export interface NodeShells {
  open(node: string): Promise<RemoteShell>;
}

export interface WorkstationLoad {
  cpuUtil: number;
  memUsedMiB: number;
  memTotalMiB: number;
}

export interface SamplerDeps {
  store: TelemetryStore;
  facts: SiteFacts;
  workstation: () => Promise<WorkstationLoad>;
  remote: NodeShells;
  router: () => RouterStats | null;
  now: () => Date;
  events: { tick(payload: { ts: number; samples: number; sources: number }): void; alert(alert: Alert): void };
  log: (message: string, fields?: Record<string, unknown>) => void;
  intervalMs: number;
}

/** nvidia-smi streams one line per GPU per second on one exec channel: far cheaper than an exec per tick. */
export const NVIDIA_STREAM = `nvidia-smi --query-gpu=${GPU_QUERY_FIELDS.join(',')} --format=csv,noheader,nounits -l 1`;
export const TEGRASTATS_STREAM = 'tegrastats --interval 1000';

type StreamKind = 'nvidia' | 'jetson' | 'cpu';

const STREAMS: Record<StreamKind, string> = { nvidia: NVIDIA_STREAM, jetson: TEGRASTATS_STREAM, cpu: PROC_STREAM };

/** Each kind's line reader; the CPU reader measures against the previous line, which `state` carries per stream. */
function lineReader(kind: StreamKind, node: string): (line: string, ts: number) => Sample[] {
  if (kind === 'nvidia') return (line, ts) => gpuLineSamples(node, line, ts);
  if (kind === 'jetson') return (line, ts) => tegrastatsSamples(node, line, ts);
  let previous: CpuCounters | null = null;
  return (line, ts) => {
    const read = procLineSamples(node, line, ts, previous);
    previous = read.counters;
    return read.samples;
  };
}

interface NodeStream {
  kind: StreamKind;
  stream: FollowedCommand | null;
  opening: boolean;
  /** When the node last sent a line, or when we started waiting for one (ms). */
  lastHeardMs: number;
  why: string;
  failures: number;
  nextAttemptMs: number;
}

const REFRESH_NODES_MS = 30_000;
const MAINTENANCE_MS = 60_000;
const MAINTENANCE_BUDGET_MS = 200;
const BACKOFF_CAP_MS = 60_000;
/** A restart is an event, not a condition: its alert stays this long, then clears. */
const RESTART_ALERT = 'restart:';
const RESTART_ALERT_MS = 15 * 60_000;

/**
 * The long-lived core's sampler: every tick it gathers the workstation's load,
 * the lines each node streamed since the last tick, the router's finished
 * seconds and the workers' states, and stores them in one transaction. Rollups
 * and pruning run once a minute in bounded steps. A node that stops answering
 * becomes an alert and its series go stale; it is retried with backoff.
 */
export class Sampler {
  private readonly nodes = new Map<string, NodeStream>();
  private pending: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private lastRouterSecond = 0;
  private lastRefreshMs = -Infinity;
  private lastMaintenanceMs = 0;
  private restarts = new Map<string, number>();

  constructor(private readonly deps: SamplerDeps) {}

  start(): void {
    if (this.timer) return;
    this.lastMaintenanceMs = this.deps.now().getTime();
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const node of this.nodes.values()) node.stream?.close();
    this.nodes.clear();
  }

  /** One sampling round; public so tests and the bench drive it without timers. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const nowMs = this.deps.now().getTime();
      const ts = Math.floor(nowMs / 1000);
      if (nowMs - this.lastRefreshMs >= REFRESH_NODES_MS) this.refreshNodes(nowMs);
      this.openDueStreams(nowMs);
      const samples = this.pending;
      this.pending = [];
      samples.push(...(await this.workstationSamples(ts)));
      const stats = this.deps.router();
      if (stats) {
        const fromRouter = routerSamples(stats, this.lastRouterSecond || ts - 5, ts);
        this.lastRouterSecond = fromRouter.lastSecond;
        samples.push(...fromRouter.samples);
      }
      const deployments = this.deps.facts.liveDeployments(new Date(nowMs));
      samples.push(...deploymentSamples(deployments, ts));
      this.deps.store.ingest(samples);
      this.updateAlerts(nowMs, deployments);
      this.deps.events.tick({ ts, samples: samples.length, sources: new Set(samples.map((s) => s.source)).size });
      if (nowMs - this.lastMaintenanceMs >= MAINTENANCE_MS) this.maintain(nowMs);
    } catch (error) {
      this.deps.log('telemetry tick failed', { error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.ticking = false;
    }
  }

  /** Rolls up and prunes in bounded steps, so a long backlog never stalls a tick. */
  maintain(nowMs: number): void {
    this.lastMaintenanceMs = nowMs;
    const settings = this.deps.store.settings();
    // A backlog (the core was down for hours) catches up 30 minutes a step, for at most a fifth of a second per round.
    const started = Date.now();
    while (this.deps.store.rollupStep(30) && Date.now() - started < MAINTENANCE_BUDGET_MS);
    this.deps.store.pruneStep(retentionCutoffs(nowMs / 1000, settings), 3600);
    const iso = (ms: number): string => new Date(ms).toISOString();
    for (const expired of this.deps.store.expireAlerts(RESTART_ALERT, iso(nowMs - RESTART_ALERT_MS), iso(nowMs - settings.rollupRetentionDays * 86_400_000), iso(nowMs))) this.deps.events.alert(expired);
  }

  private async workstationSamples(ts: number): Promise<Sample[]> {
    try {
      const load = await this.deps.workstation();
      return [
        { source: 'workstation', metric: 'cpu.util', unit: '%', ts, value: load.cpuUtil },
        { source: 'workstation', metric: 'mem.used', unit: 'MiB', ts, value: load.memUsedMiB },
        { source: 'workstation', metric: 'mem.total', unit: 'MiB', ts, value: load.memTotalMiB },
      ];
    } catch {
      return [];
    }
  }

  /**
   * Follows the inventory: nodes with NVIDIA GPUs stream nvidia-smi, Jetsons tegrastats, CPU-only nodes
   * /proc while a deployment runs a worker on them; removed nodes are closed.
   */
  private refreshNodes(nowMs: number): void {
    this.lastRefreshMs = nowMs;
    const serving = new Set(this.deps.facts.liveDeployments(new Date(nowMs)).flatMap((d) => d.workers.map((w) => w.node)));
    const wanted = new Map<string, StreamKind>();
    for (const node of this.deps.facts.remoteNodes()) {
      if (node.jetson) wanted.set(node.name, 'jetson');
      else if (node.gpus > 0) wanted.set(node.name, 'nvidia');
      else if (serving.has(node.name)) wanted.set(node.name, 'cpu');
    }
    for (const [name, node] of this.nodes) {
      if (wanted.get(name) !== node.kind) {
        node.stream?.close();
        this.nodes.delete(name);
      }
    }
    for (const [name, kind] of wanted) {
      if (!this.nodes.has(name)) this.nodes.set(name, { kind, stream: null, opening: false, lastHeardMs: nowMs, why: 'no output yet', failures: 0, nextAttemptMs: nowMs });
    }
  }

  private openDueStreams(nowMs: number): void {
    const staleMs = this.deps.store.settings().staleAfterSeconds * 1000;
    for (const [name, node] of this.nodes) {
      // A host that lost power sends no FIN: its session looks open but says nothing. Start over.
      if (node.stream && nowMs - node.lastHeardMs > staleMs) {
        node.stream.close();
        node.stream = null;
        node.why = `no output for ${Math.round((nowMs - node.lastHeardMs) / 1000)} s`;
      }
      if (node.stream || node.opening || nowMs < node.nextAttemptMs) continue;
      node.opening = true;
      const command = STREAMS[node.kind];
      const parse = lineReader(node.kind, name);
      const failed = (why: string): void => {
        node.stream = null;
        node.why = why;
        node.failures += 1;
        node.nextAttemptMs = this.deps.now().getTime() + Math.min(BACKOFF_CAP_MS, 2000 * 2 ** Math.min(node.failures, 5));
      };
      this.follow(
        name,
        command,
        (line) => {
          const nowLine = this.deps.now().getTime();
          const samples = parse(line, Math.floor(nowLine / 1000));
          if (samples.length === 0) return;
          node.lastHeardMs = nowLine;
          node.failures = 0;
          this.pending.push(...samples);
        },
        (why) => {
          if (this.nodes.get(name) === node) failed(why);
        },
      )
        .then((stream) => {
          node.opening = false;
          if (this.nodes.get(name) !== node) stream.close();
          else node.stream = stream;
        })
        .catch((error: unknown) => {
          node.opening = false;
          failed(error instanceof Error ? error.message : String(error));
        });
    }
  }

  /** One session per followed command: when the command ends, or the stream is closed, the session ends too. */
  private async follow(node: string, command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<FollowedCommand> {
    const shell = await this.deps.remote.open(node);
    let closed = false;
    const end = (): void => {
      if (closed) return;
      closed = true;
      shell.close();
    };
    try {
      const stream = await shell.follow(command, onLine, (why) => {
        end();
        onEnd(why);
      });
      return {
        close: () => {
          stream.close();
          end();
        },
      };
    } catch (error) {
      end();
      throw error;
    }
  }

  private updateAlerts(nowMs: number, deployments: ReturnType<SiteFacts['liveDeployments']>): void {
    const staleMs = this.deps.store.settings().staleAfterSeconds * 1000;
    const silentNodes = [...this.nodes].filter(([, n]) => nowMs - n.lastHeardMs > staleMs).map(([node, n]) => ({ node, seconds: (nowMs - n.lastHeardMs) / 1000, why: n.why }));
    const active = new Set(this.deps.store.alerts(false).map((a) => a.key));
    const change = alertChanges({ silentNodes, deployments, previousRestarts: this.restarts }, active);
    this.restarts = new Map(deployments.flatMap((d) => d.workers.map((w) => [`${d.id}/${w.name}`, w.restarts] as const)));
    const at = new Date(nowMs).toISOString();
    for (const r of change.raise) {
      const raised = this.deps.store.raise({ ...r, raisedAt: at });
      if (raised) this.deps.events.alert(raised);
    }
    for (const key of change.clear) {
      const cleared = this.deps.store.clear(key, at);
      if (cleared) this.deps.events.alert(cleared);
    }
  }
}
