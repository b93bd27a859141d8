// Fakes for the Workers rules' ports (main/workers/core/ports.ts): a site of hosts that answers Outpost's shell
// scripts from memory, a head API, a clock that moves only when told, a lock. Failures are switched on per test.
import type { ShardPlan, Stage } from '../../shared/domain/planner.js';
import type { LaunchProgress, WorkerChange } from '../../shared/domain/workers.js';
import { OutpostError } from '../../shared/errors.js';
import { JobRegistry } from '../../main/platform/jobs.js';
import { openDatabase, type Db, type JournalRecord } from '../../main/platform/store/index.js';
import { DeploymentRepository } from '../../main/workers/adapters/deployment-repository.js';
import type { Clock, HeadApi, Lock, NodeAddress, RemoteCommandOptions, RemoteHosts, UploadCallbacks, WorkersDeps } from '../../main/workers/core/ports.js';
import { WorkersService } from '../../main/workers/core/service.js';

const abortError = (): Error => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });

/** Time moves only when a test (or a sleep) moves it; `later` tasks wait for `runDue`. */
export class FakeClock implements Clock {
  private at = Date.parse('2025-01-01T00:00:00Z');
  /** How far the wall clock has been stepped away from the monotonic one. */
  private wallOffset = 0;
  private readonly tasks = new Set<{ due: number; task: () => void }>();

  now(): Date {
    return new Date(this.at + this.wallOffset);
  }

  elapsedMs(): number {
    return this.at;
  }

  advance(ms: number): void {
    this.at += ms;
  }

  /** Steps the wall clock only (NTP, a technician): durations go on as before. */
  stepWallClock(ms: number): void {
    this.wallOffset += ms;
  }

  /** Returns at once with the time moved on; yields so that other work (a Stop, a cancel) can run meanwhile. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError();
    this.at += ms;
    await new Promise((resolve) => setImmediate(resolve));
  }

  later(ms: number, task: () => void): () => void {
    const entry = { due: this.at + ms, task };
    this.tasks.add(entry);
    return () => this.tasks.delete(entry);
  }

  get pending(): number {
    return this.tasks.size;
  }
}

export class FakeLock implements Lock {
  held = false;

  acquire(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  release(): void {
    this.held = false;
  }
}

interface FakeProcess {
  node: string;
  name: string;
  alive: boolean;
  port: number | null;
  pid: number;
  deploymentId: string;
  owner: string | null;
}

/** The owner tag value fakeWorkers' service writes into its workers' environment. */
export const FAKE_OWNER = 'feedc0de0000';

const quoted = (script: string, pattern: RegExp): string[] => [...script.matchAll(pattern)].map((m) => m[1] as string);
const portOf = (script: string): number | null => {
  const match = /'-L' '127\.0\.0\.1:(\d+):/.exec(script) ?? /'--port' '(\d+)'/.exec(script) ?? /'-p' '(\d+)'/.exec(script);
  return match ? Number(match[1]) : null;
};

/**
 * Hosts that answer the scripts of remote-scripts.ts and preflight.ts as a real host would, from memory:
 * processes started and stopped, ports they listen on, files copied, tunnel keys installed. Every command is
 * recorded as `<node>: <what>` in `commands`.
 */
export class FakeSite {
  readonly commands: string[] = [];
  readonly unreachable = new Set<string>();
  /** Workers whose start script fails. */
  readonly failStart = new Set<string>();
  /** `<node>/<binary>` not on the PATH. */
  readonly missing = new Set<string>();
  readonly memAvailable = new Map<string, number>();
  readonly files = new Map<string, { sizeBytes: number; sha256: string }>();
  readonly authorizedKeys = new Map<string, string[]>();
  /** Awaited before each command takes effect: the place to stop or cancel mid-way. */
  beforeCommand: (node: string, what: string) => Promise<void> | void = () => undefined;
  /** The model a copy puts on a host. */
  uploadedModel: { sizeBytes: number; sha256: string } | null = null;
  /** What the next copies put there instead, in turn (a copy that lands damaged). */
  readonly uploadQueue: Array<{ sizeBytes: number; sha256: string }> = [];
  /** Drives a copy's callbacks as a real one would (bytes over time); by default it lands at once. */
  onUpload: (callbacks: UploadCallbacks) => Promise<void> | void = (c) => {
    c.onStart?.(0, MODEL.sizeBytes);
    c.onProgress?.(MODEL.sizeBytes, MODEL.sizeBytes);
  };
  /** Answers scripts this site does not know (null: not this one), before its own handlers (see node-pull-fakes.ts). */
  readonly answerers: Array<(node: string, script: string) => { what: string; stdout: string; exitCode?: number } | null> = [];
  /** Per node, the `llamacpp <role> <key> <value>` lines its preflight prints (builds, RPC protocol, cache). */
  readonly llamaCpp = new Map<string, string[]>();
  private readonly processes = new Map<string, FakeProcess>();
  private nextPid = 1000;

  constructor(readonly nodes: readonly string[]) {}

  endpoint(node: string): NodeAddress {
    const index = this.nodes.indexOf(node);
    if (index < 0) throw new Error(`no endpoint for node ${node}`);
    return { node, address: `10.0.0.${index + 1}`, port: 22 };
  }

  alive(name: string): boolean {
    return [...this.processes.values()].some((p) => p.name === name && p.alive);
  }

  aliveNames(): string[] {
    return [...this.processes.values()]
      .filter((p) => p.alive)
      .map((p) => p.name)
      .sort();
  }

  kill(name: string): void {
    for (const p of this.processes.values()) if (p.name === name) p.alive = false;
  }

  /** A running process as an earlier run would have left it: tagged for `deploymentId`, started by `owner`. */
  plant(node: string, deploymentId: string, name: string, owner: string | null = FAKE_OWNER, port: number | null = null): number {
    const pid = this.nextPid++;
    this.processes.set(`planted/${pid}`, { node, name, alive: true, port, pid, deploymentId, owner });
    return pid;
  }

  /** Pids of the live processes tagged for `deploymentId`. */
  pidsOf(deploymentId: string): number[] {
    return [...this.processes.values()].filter((p) => p.alive && p.deploymentId === deploymentId).map((p) => p.pid);
  }

  /** Commands recorded from index `from` on that match `pattern`. */
  since(from: number, pattern: RegExp = /./): string[] {
    return this.commands.slice(from).filter((c) => pattern.test(c));
  }

  hosts(): RemoteHosts {
    return {
      endpoint: (node) => this.endpoint(node),
      run: (node, script, options) => this.exec(node, script, options),
      check: async (node, script, what, options) => {
        const result = await this.exec(node, script, options);
        if (result.exitCode !== 0) throw new OutpostError('UNAVAILABLE', `${what} failed on ${node} (exit ${result.exitCode}): ${result.stderr}`, 'see the host');
        return result.stdout;
      },
      upload: async (node, _local, remotePath, callbacks) => {
        await this.reach(node, `upload ${remotePath}`);
        await this.onUpload(callbacks);
        const landed = this.uploadQueue.shift() ?? this.uploadedModel;
        if (landed) this.files.set(remotePath, landed);
        return { bytes: MODEL.sizeBytes, resumedFrom: 0, discardedPartial: 0, sha256: MODEL.sha256 };
      },
      hostKeyLine: async (node) => {
        await this.reach(node, 'host key');
        const { address, port } = this.endpoint(node);
        return `[${address}]:${port} ssh-ed25519 AAAAhostkey${node}`;
      },
      close: () => undefined,
    };
  }

  private async reach(node: string, what: string): Promise<void> {
    this.commands.push(`${node}: ${what}`);
    await this.beforeCommand(node, what);
    if (this.unreachable.has(node)) throw new OutpostError('UNAVAILABLE', `${node} cannot be reached over SSH (timeout)`, 'check the host');
  }

  private async exec(node: string, script: string, options: RemoteCommandOptions = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    if (options.signal?.aborted) throw new OutpostError('CANCELLED', 'cancelled');
    const ok = (stdout = '') => ({ stdout, stderr: '', exitCode: 0 });
    for (const answer of this.answerers.map((a) => a(node, script)).filter((a) => a !== null)) {
      await this.reach(node, answer.what);
      return { stdout: answer.stdout, stderr: answer.exitCode ? `${answer.what} failed` : '', exitCode: answer.exitCode ?? 0 };
    }
    if (script === 'printf %s "$HOME"') {
      await this.reach(node, 'home');
      return ok(`/home/${node}`);
    }
    if (script.includes('echo "pid $!"')) {
      const [runDir, name] = /echo \$! > '(.+)\/([^/']+)\.pid'/.exec(script)?.slice(1) ?? [];
      await this.reach(node, `start ${name}`);
      if (this.failStart.has(name as string)) return { stdout: '', stderr: `${name} failed to start`, exitCode: 1 };
      const pid = this.nextPid++;
      const deploymentId = /'OUTPOST_WORKER=([^/']+)\//.exec(script)?.[1] ?? '';
      const owner = /'OUTPOST_OWNER=([^']+)'/.exec(script)?.[1] ?? null;
      this.processes.set(`${runDir}/${name}`, { node, name: name as string, alive: true, port: portOf(script), pid, deploymentId, owner });
      return ok(`pid ${pid}\n`);
    }
    if (script.includes('grep -lzxF')) {
      await this.reach(node, 'owned workers');
      const owner = /'OUTPOST_OWNER=([^']+)'/.exec(script)?.[1];
      return ok(
        [...this.processes.values()]
          .filter((p) => p.node === node && p.alive && p.owner === owner)
          .map((p) => `worker ${p.pid} ${p.deploymentId}/${p.name}\n`)
          .join(''),
      );
    }
    if (/\/proc\/\d+\/environ/.test(script)) {
      const pids = [...script.matchAll(/\/proc\/(\d+)\/environ/g)].map((m) => Number(m[1]));
      await this.reach(node, `stop pids ${pids.join(' ')}`);
      const stopped = [...this.processes.values()].filter((p) => p.node === node && p.alive && pids.includes(p.pid));
      for (const p of stopped) p.alive = false;
      return ok(stopped.map((p) => `term ${p.pid}\n`).join(''));
    }
    if (script.startsWith('left=""')) {
      const pids = quoted(script, /rm -f '(.+\.pid)'/g).map((f) => f.replace(/\.pid$/, ''));
      await this.reach(node, `stop ${pids.map((p) => p.slice(p.lastIndexOf('/') + 1)).join(' ')}`);
      for (const key of pids) {
        const process = this.processes.get(key);
        if (process) process.alive = false;
      }
      return ok();
    }
    if (script.includes(' dead; fi')) {
      await this.reach(node, 'status');
      const runDir = /cat '(.+)\/[^/']+\.pid'/.exec(script)?.[1];
      const names = quoted(script, /else echo '([^']+)' dead/g);
      return ok(names.map((name) => (this.processes.get(`${runDir}/${name}`)?.alive ? `${name} alive 1\n` : `${name} dead\n`)).join(''));
    }
    const listening = (): string =>
      [...this.processes.values()]
        .filter((p) => p.node === node && p.alive && p.port !== null)
        .map((p) => `listen ${(p.port as number).toString(16).toUpperCase().padStart(4, '0')}\n`)
        .join('');
    if (script.includes('memavail')) {
      await this.reach(node, 'preflight');
      const binaries = quoted(script, /echo bin '([^']+)'/g).map((role) => `bin ${role} ${this.missing.has(`${node}/${role}`) ? 'missing' : `/usr/bin/${role}`}\n`);
      const modelPath = /if \[ -f '([^']+)' \]/.exec(script)?.[1];
      const model = modelPath ? this.files.get(modelPath) : undefined;
      const modelLine = modelPath ? (model ? `model ${model.sizeBytes} ${model.sha256}\n` : 'model missing\n') : '';
      const llamaCpp = script.includes('echo llamacpp') ? (this.llamaCpp.get(node) ?? []).map((line) => `${line}\n`).join('') : '';
      return ok(`${binaries.join('')}${llamaCpp}memavail ${this.memAvailable.get(node) ?? 64e9}\n${listening()}${modelLine}`);
    }
    if (script.includes('readlink -f')) {
      // A node's model file read in place: `files` stands for it, its sha256 for the digest of its first MiB.
      await this.reach(node, 'model in place');
      const path = quoted(script, /PROBE_ROOT-\}'([^']+)'/g)[0] ?? '';
      const file = this.files.get(`${node}:${path}`);
      return ok(file ? `path ${path}\nsize ${file.sizeBytes}\nhead ${file.sha256}\n` : 'missing\n');
    }
    if (script.includes('/proc/net/tcp')) {
      await this.reach(node, 'listening');
      return ok(listening());
    }
    if (script.includes('grep -vF')) {
      await this.reach(node, 'remove keys');
      const marker = /grep -vF -- '([^']+)'/.exec(script)?.[1] ?? '';
      const kept = (this.authorizedKeys.get(node) ?? []).filter((line) => !line.includes(marker));
      if (kept.length) this.authorizedKeys.set(node, kept);
      else this.authorizedKeys.delete(node);
      return ok('removed\n');
    }
    if (script.includes(`printf '%s\\n'`)) {
      await this.reach(node, 'install key');
      this.authorizedKeys.set(node, [...(this.authorizedKeys.get(node) ?? []), script]);
      return ok();
    }
    if (script.includes('ssh-keygen -y')) {
      await this.reach(node, 'load key');
      return ok('unverifiable\n');
    }
    const what = script.split(' ').slice(0, 2).join(' ');
    await this.reach(node, what.startsWith('umask 077;') ? `write ${/cat > '([^']+)'/.exec(script)?.[1] ?? ''}` : what);
    return ok();
  }
}

/** Healthy while the site's head runs (unless told otherwise); every test prompt answers at once. */
export class FakeHead implements HeadApi {
  unhealthy = false;

  constructor(private readonly site: FakeSite) {}

  async healthy(): Promise<boolean> {
    return this.site.alive('head') && !this.unhealthy;
  }

  async prompt(): Promise<{ text: string; tokens: number; tokensPerSecond: number; ttftMs: number }> {
    return { text: 'Hello, site.', tokens: 4, tokensPerSecond: 40, ttftMs: 5 };
  }
}

const stage = (index: number, node: string, firstLayer: number, lastLayer: number, holdsOutput: boolean): Stage => ({
  index,
  deviceId: `${node}-cpu`,
  gpu: 'CPU',
  node,
  firstLayer,
  lastLayer,
  layerCount: lastLayer - firstLayer + 1,
  holdsEmbedding: index === 0,
  holdsOutput,
  memory: { weightsBytes: 1e8, kvCacheBytes: 0, computeBufferBytes: 0, overheadBytes: 0, embeddingBytes: 0, outputBytes: 0, totalBytes: 1e8, usableBytes: 1e9, fill: 0.1 },
  decodeMs: 1,
  prefillMs: 1,
  hopToNextMs: holdsOutput ? null : 1,
  hopKind: holdsOutput ? null : 'network',
  limitedBy: 'balance',
});

/** A feasible plan of a 4-layer model in two CPU stages: layers 0–1 on `head`, 2–3 on `member`. */
export function twoStagePlan(head: string, member: string): ShardPlan {
  return {
    feasible: true,
    objective: 'throughput',
    model: { name: 'tiny model', architecture: 'llama', layers: 4, quant: 'Q8_0', bitsPerWeight: 8.5, totalBytes: 2e8, source: 'gguf' },
    context: 2048,
    parallel: 2,
    utilisation: 0.9,
    costTable: { layers: 4, microBatch: 1, devices: [], nodes: [], rules: [] },
    calibration: [],
    explanation: [],
    whatIf: [],
    baseline: { status: 'placed', aggregateTokensPerSecond: null, layersPerDevice: [], note: '' },
    stages: [stage(0, head, 0, 1, false), stage(1, member, 2, 3, true)],
    estimates: { aggregateTokensPerSecond: 10, singleStreamTokensPerSecond: 5, ttftMs: 10, promptTokens: 512, microBatch: 1 },
    bottleneck: { kind: 'stage', stageIndex: 0, timeMs: 1, description: 'stage 0' },
  };
}

/** The same model on one host, as a re-plan without the other would give it. */
export function oneStagePlan(node: string): ShardPlan {
  const two = twoStagePlan(node, node);
  return { ...two, parallel: 1, stages: [stage(0, node, 0, 3, true)] };
}

export const MODEL = { name: 'tiny.gguf', path: '/work/tiny.gguf', sizeBytes: 2e8, sha256: 'ab'.repeat(32) };

/** A WorkersService over the fakes (and an in-memory SQLite store), with what it did to the router and events. */
export function fakeWorkers(overrides: Partial<WorkersDeps> = {}, nodes: readonly string[] = ['a', 'b'], options: { drainTimeoutMs?: number; inFlight?: (name: string) => { applied: boolean; inFlight: number } | null } = {}) {
  const site = new FakeSite(nodes);
  site.uploadedModel = { sizeBytes: MODEL.sizeBytes, sha256: MODEL.sha256 };
  const clock = new FakeClock();
  const head = new FakeHead(site);
  const db: Db = openDatabase(':memory:');
  const repository = new DeploymentRepository(db);
  const progress: LaunchProgress[] = [];
  const changes: WorkerChange[] = [];
  const journal: JournalRecord[] = [];
  const routes = new Map<string, string>();
  const withdrawn: string[] = [];
  const jobs = new JobRegistry(() => 'job');
  let ids = 0;
  // Re-plans are stored here under their own ids; any other id is the two-stage plan.
  const replanned = new Map<string, ShardPlan>();
  const deps: WorkersDeps = {
    repository,
    plans: (id) => replanned.get(id) ?? twoStagePlan(nodes[0] as string, nodes[1] as string),
    replans: {
      planWithout: async (_id, lost) => {
        const plan = oneStagePlan(nodes.find((n) => !lost.includes(n)) as string);
        const planId = `plan-replan${replanned.size + 1}`;
        replanned.set(planId, plan);
        return { planId, plan };
      },
    },
    models: { fileOfPlan: () => ({ node: null, path: MODEL.path }), local: async () => MODEL },
    endpoints: (names) => new Map(names.map((n) => [n, site.endpoint(n)])),
    openHosts: () => site.hosts(),
    gpus: () => [],
    head,
    newKeyPair: (comment) => ({ public: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ${comment}`, private: 'PRIVATE KEY' }),
    router: { register: (name, url) => void routes.set(name, url), withdraw: (name) => void (routes.delete(name), withdrawn.push(name)), ...(options.inFlight ? { inFlight: options.inFlight } : {}) },
    jobs,
    journal: { record: (entry) => void journal.push(entry) },
    events: { progress: (p) => void progress.push(p), changed: (c) => void changes.push(c), token: () => undefined },
    clock,
    newId: () => `id${++ids}`,
    inventoriedLogin: () => null,
    localUser: () => 'outpost',
    logVerbosity: 1,
    owner: FAKE_OWNER,
    localProcesses: { self: 1000, alive: (pid) => pid === 1000 },
    ...overrides,
  };
  const service = new WorkersService(deps, { drainTimeoutMs: options.drainTimeoutMs });
  const launch = (deploymentId = 'dep-test1', signal?: AbortSignal) => service.launch({ planId: 'plan-test1', engine: 'llama.cpp', port: 8181, rpcTransport: 'ssh', threads: 1, deploymentId }, signal);
  return { site, clock, head, db, repository, service, progress, changes, journal, routes, withdrawn, jobs, launch };
}
