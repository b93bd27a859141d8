import { createHash } from 'node:crypto';
import { OutpostError } from '../../../shared/errors.js';
import type { ParsedInput } from '../../../shared/contract/index.js';
import type { ShardPlan } from '../../../shared/domain/planner.js';
import type { Deployment, DeploymentStage, LaunchProgress } from '../../../shared/domain/workers.js';
import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import { ENGINES, KNOWN_HOSTS_FILE, rpcWorkerName, TUNNEL_KEY_FILE, unknownPlaceholders, type LaunchLayout, type StagePlacement, type WorkerSpec } from './engines/index.js';
import { gpuOrdinals } from './gpu-placement.js';
import { stopOrphans } from './orphans.js';
import { Pipeline } from './pipeline.js';
import { recordActuals } from './plan-vs-actual.js';
import type { DeploymentSpec, RemoteHosts, WorkersPorts } from './ports.js';
import { allocatePorts, parsePreflight, preflightProblems, preflightScript, type HostFacts } from './preflight.js';
import { deploymentKeyMarker, installKeyScript, loadKeyScript, modelPathFor, runDirFor, sameKey, tunnelKeyLine, writeFileScript } from './remote-scripts.js';

const READY_TIMEOUT_MS = 180_000;
/** RPC and tunnel ports come from 20100–29099, starting at a place that depends on the deployment, so two
 * launches onto one host at the same moment (before either listens) are unlikely to pick the same port. Below
 * Linux's ephemeral range (32768–60999): there, any outgoing connection of the host (SSH, HTTP) may take the port
 * as its local end between preflight and the bind, and the rpc-server would die with "address in use". */
const rpcPortStart = (id: string): number => 20_100 + (createHash('sha256').update(id).digest().readUInt16BE(0) % 900) * 10;
const TEST_PROMPT = 'Say hello to the site in one sentence.';

export type LaunchInput = ParsedInput<'workers.launch'>;

/** Plan stages onto reachable hosts, each on the GPU of its node that the planner meant (see gpuOrdinals). */
function placeStages(plan: ShardPlan, hosts: RemoteHosts, gpusOf: WorkersPorts['gpus']): StagePlacement[] {
  const ordinals = gpuOrdinals(plan.stages, gpusOf);
  return plan.stages.map((s, i) => {
    const endpoint = hosts.endpoint(s.node);
    return { index: s.index, node: s.node, address: endpoint.address, sshPort: endpoint.port, gpu: s.gpu, gpuOrdinal: ordinals[i] ?? 0, firstLayer: s.firstLayer, lastLayer: s.lastLayer, layerCount: s.layerCount, holdsOutput: s.holdsOutput };
  });
}

const stagesOf = (plan: ShardPlan): DeploymentStage[] =>
  plan.stages.map((s) => ({ index: s.index, node: s.node, gpu: s.gpu, firstLayer: s.firstLayer, lastLayer: s.lastLayer, layerCount: s.layerCount, holdsOutput: s.holdsOutput, memoryBytes: s.memory.totalBytes }));

const servedName = (name: string): string => name.replace(/[\s,]+/g, '-').slice(0, 200) || 'model';

/**
 * One launch: preflight every host, bring the model over, install the tunnel
 * key, start the processes in order, wait for readiness, send a test prompt,
 * register with the router. Any failure — or a Stop — stops what it started
 * and removes what it installed; other deployments are never touched.
 */
export class Launch {
  private hosts: RemoteHosts | null = null;
  private pipeline: Pipeline | null = null;

  constructor(
    private readonly deps: WorkersPorts,
    private readonly input: LaunchInput,
    readonly id: string,
    private readonly signal: AbortSignal,
  ) {}

  private progress(phase: LaunchProgress['phase'], message: string, fraction: number | null = null): void {
    this.deps.events.progress({ deploymentId: this.id, phase, message, fraction });
  }

  async run(): Promise<Deployment> {
    const plan = this.deps.plans(this.input.planId);
    if (!plan.feasible) throw new OutpostError('PRECONDITION', `plan ${this.input.planId} is not feasible (${plan.reason})`, 'plan again with other nodes');
    const modelFile = this.modelFileOf(this.input.planId);
    if (this.input.template) {
      const unknown = unknownPlaceholders(this.input.template);
      if (unknown.length) throw new OutpostError('INVALID_INPUT', `the template names unknown placeholder(s) {${unknown.join('}, {')}}`, 'use {model} {host} {port} {stage} {firstLayer} {lastLayer} {layers} {node} {head} {headPort} {runDir}');
    }
    const user = this.input.user ?? this.deps.defaultUser();
    const hosts = this.deps.openHosts([...new Set(plan.stages.map((s) => s.node))], user, this.input.key);
    this.hosts = hosts;
    try {
      return await this.launch(plan, modelFile, placeStages(plan, hosts, this.deps.gpus), user);
    } finally {
      hosts.close();
    }
  }

  private modelFileOf(planId: string): string | null {
    const file = this.deps.models.fileOfPlan(planId);
    if (file?.node) {
      // Only the workstation's files can be copied to the head today; a node-to-node copy needs a relay not built yet.
      throw new OutpostError('PRECONDITION', `plan ${planId} was made from ${file.node}:${file.path}, a file on a node; launch loads model files from this workstation only`, `copy the file to this workstation and plan with --model <file.gguf>`);
    }
    return file?.path ?? null;
  }

  private async launch(plan: ShardPlan, modelFile: string | null, stages: StagePlacement[], user: string): Promise<Deployment> {
    const hosts = this.hosts as RemoteHosts;
    const engine = ENGINES[this.input.engine];
    const nodes = [...new Set(stages.map((s) => s.node))];
    const head = stages[0] as StagePlacement;
    this.progress('preflight', `checking ${nodes.length} host(s)`);
    const homes = new Map<string, string>();
    const reachability = await Promise.allSettled(nodes.map(async (node) => homes.set(node, (await hosts.check(node, 'printf %s "$HOME"', 'reading $HOME', { signal: this.signal })).trim())));
    const unreachable = reachability.flatMap((r, i) => (r.status === 'rejected' ? [{ node: nodes[i] as string, reason: (r.reason as Error).message }] : []));
    if (unreachable.length) throw this.refusal(unreachable);
    // Leftovers of an earlier run may hold the ports preflight is about to read: they go first.
    const leftovers = await stopOrphans(hosts, nodes, { repository: this.deps.repository, journal: this.deps.journal, owner: this.deps.owner, by: 'launch' });
    if (leftovers.stopped.length) this.progress('preflight', `stopped ${leftovers.stopped.map((o) => `${o.worker} of ${o.deploymentId} (pid ${o.pid} on ${o.node})`).join(', ')}, left by an earlier run`);
    const model = modelFile ? await this.deps.models.local(modelFile) : null;
    if (!model && this.input.engine === 'llama.cpp') {
      throw new OutpostError('PRECONDITION', `plan ${this.input.planId} names the catalog model ${plan.model.name}, not a model file`, 'plan with --model <file.gguf> so Outpost knows which file to load');
    }
    // Content-addressed under each host's home: the same digest is never copied twice.
    const modelNodes = engine.modelOnEveryHost ? nodes : [head.node];
    const modelPaths = new Map(model ? modelNodes.map((n) => [n, modelPathFor(homes.get(n) as string, model.sha256, '.gguf')]) : []);
    const needs = engine.binariesFor(stages, this.input.rpcTransport);
    const facts = new Map<string, HostFacts>();
    await Promise.all(
      nodes.map(async (node) => {
        const script = preflightScript({ binaries: needs.filter((n) => n.node === node).map((n) => n.binary), modelPath: modelPaths.get(node) ?? null });
        facts.set(node, parsePreflight(await hosts.check(node, script, 'preflight', { signal: this.signal, timeoutMs: 600_000 })));
      }),
    );
    const problems = preflightProblems({ stages, memoryByStage: new Map(plan.stages.map((s) => [s.index, s.memory.totalBytes])), needs, facts, apiPort: this.input.port });
    for (const [node, path] of modelPaths) {
      const present = facts.get(node)?.model;
      if (model && present && (present.sha256 !== model.sha256 || present.sizeBytes !== model.sizeBytes)) {
        problems.push({ node, reason: `the model file ${path} has digest ${present.sha256.slice(0, 12)}…, expected ${model.sha256.slice(0, 12)}… (remove it and launch again to copy a fresh one)` });
      }
    }
    if (problems.length) throw this.refusal(problems);

    for (const [node, path] of modelPaths) {
      if (!model || facts.get(node)?.model) continue;
      // Hosts may share a home (NFS): an earlier copy in this loop may already have put the file there.
      const now = parsePreflight(await hosts.check(node, preflightScript({ binaries: [], modelPath: path }), 'checking the model', { signal: this.signal, timeoutMs: 600_000 })).model;
      if (now?.sha256 === model.sha256) continue;
      const what = `copying ${model.name} to ${node}`;
      this.progress('model', what, 0);
      await hosts.check(node, `mkdir -p ${shellQuote(path.slice(0, path.lastIndexOf('/')))}`, 'creating the model folder', { signal: this.signal });
      await hosts.upload(node, model.path, path, (done, total) => this.progress('model', what, total ? done / total : 1), this.signal);
      // A resumed copy is only as good as the part left from before: the digest decides.
      const copied = parsePreflight(await hosts.check(node, preflightScript({ binaries: [], modelPath: path }), 'checking the copied model', { signal: this.signal, timeoutMs: 600_000 })).model;
      if (copied?.sha256 !== model.sha256) {
        await hosts.run(node, `rm -f ${shellQuote(path)} ${shellQuote(`${path}.outpost-sha256`)}`);
        throw new OutpostError('UNAVAILABLE', `the model copied to ${node} has digest ${copied?.sha256.slice(0, 12) ?? 'none'}…, expected ${model.sha256.slice(0, 12)}…; the copy was removed`, 'launch again to copy it afresh');
      }
    }

    const ports = allocatePorts(engine.portsNeeded(stages, this.input.rpcTransport), facts, [this.input.port], rpcPortStart(this.id));
    const runDirs = Object.fromEntries(nodes.map((n) => [n, runDirFor(homes.get(n) as string, this.id)]));
    const layout: LaunchLayout = {
      deploymentId: this.id,
      servedModel: servedName(plan.model.name),
      modelPath: modelPaths.get(head.node) ?? plan.model.name,
      totalLayers: plan.model.layers,
      context: plan.context,
      parallel: plan.parallel,
      threads: this.input.threads,
      apiPort: this.input.port,
      rpcTransport: this.input.rpcTransport,
      user,
      stages,
      ports,
      hosts: Object.fromEntries(nodes.map((n) => [n, { runDir: runDirs[n] as string, modelPath: modelPaths.get(n), binaries: Object.fromEntries(Object.entries(facts.get(n)?.binaries ?? {}).filter((e): e is [string, string] => e[1] !== null)) }])),
      logVerbosity: this.deps.logVerbosity,
      template: this.input.template,
    };
    const workers = engine.workers(layout);
    const tunnels = workers.filter((w) => w.role === 'tunnel');
    const spec: DeploymentSpec = {
      user,
      keyPath: this.input.key ?? null,
      servedModel: layout.servedModel,
      parallel: plan.parallel,
      stages: stagesOf(plan),
      workers,
      runDirs,
      keyNodes: [],
      keyMarker: deploymentKeyMarker(this.id),
      launcherPid: this.deps.localProcesses.self,
    };
    this.deps.repository.create({ id: this.id, planId: this.input.planId, model: layout.servedModel, engine: this.input.engine, rpcTransport: this.input.rpcTransport, spec, at: this.deps.clock.now().toISOString() });
    this.pipeline = new Pipeline(this.id, spec, hosts, this.deps);
    try {
      if (tunnels.length) await this.installTunnelKey(spec, tunnels, stages, ports);
      this.progress('start', `starting ${workers.length} process(es) on ${nodes.length} host(s)`);
      await this.pipeline.startAll(workers, engine.readinessPath, READY_TIMEOUT_MS, this.signal, (f) => this.progress('ready', 'waiting for the head to load the model', f));
      this.progress('ready', 'the head is ready', 1);
      const apiUrl = this.pipeline.apiUrl;
      this.deps.repository.setServing(this.id, { apiUrl });
      this.progress('test', 'sending a test prompt');
      const test = await this.deps.head.prompt(apiUrl, layout.servedModel, TEST_PROMPT, 32, () => undefined, this.signal);
      this.deps.repository.setServing(this.id, { tokensPerSecond: test.tokensPerSecond });
      await recordActuals(this.deps, { id: this.id, engine: this.input.engine, plan, stages, pipeline: this.pipeline, hosts, test, signal: this.signal });
      this.progress('register', `registering ${this.id} with the router`);
      this.deps.router.register(this.id, apiUrl, layout.servedModel, plan.parallel);
      this.deps.repository.setServing(this.id, { endpoint: this.id });
      this.deps.repository.setState(this.id, 'ready', `test prompt: ${test.tokens} tokens at ${test.tokensPerSecond.toFixed(0)} tokens/s`, this.deps.clock.now().toISOString());
      return this.deps.repository.get(this.id) as Deployment;
    } catch (error) {
      await this.rollback(error);
      throw error;
    }
  }

  /** One key for this deployment: its private half on the head (0600), its public half on each RPC host, good for one port. */
  private async installTunnelKey(spec: DeploymentSpec, tunnels: readonly WorkerSpec[], stages: readonly StagePlacement[], ports: Record<string, number>): Promise<void> {
    const hosts = this.hosts as RemoteHosts;
    const head = stages[0] as StagePlacement;
    this.progress('keys', `installing a tunnel key for ${tunnels.length} RPC link(s)`);
    const runDir = spec.runDirs[head.node] as string;
    const keyPath = `${runDir}/${TUNNEL_KEY_FILE}`;
    const known: string[] = [];
    for (const tunnel of tunnels) {
      const stage = stages.find((s) => s.index === tunnel.stageIndex) as StagePlacement;
      known.push(await hosts.hostKeyLine(stage.node, this.signal));
      spec.keyNodes = [...new Set([...spec.keyNodes, stage.node])];
    }
    this.deps.repository.setSpec(this.id, spec);
    // OpenSSH on the head must load the key before a tunnel depends on it: a key it cannot load ("error in
    // libcrypto") would leave every tunnel of the deployment dead. Such a key is replaced by a fresh one (their
    // public lines share the deployment's marker, so a stop removes every one).
    for (let attempt = 1; ; attempt += 1) {
      const pair = this.deps.newKeyPair(spec.keyMarker);
      for (const tunnel of tunnels) {
        const stage = stages.find((s) => s.index === tunnel.stageIndex) as StagePlacement;
        await hosts.check(stage.node, installKeyScript(tunnelKeyLine(pair.public, ports[rpcWorkerName(stage.index)] as number, spec.keyMarker)), 'installing the tunnel key', { signal: this.signal });
      }
      await hosts.check(head.node, writeFileScript(keyPath), 'writing the tunnel key', { stdin: pair.private, signal: this.signal });
      const loaded = await hosts.check(head.node, loadKeyScript(keyPath), 'checking the tunnel key', { signal: this.signal });
      if (loaded.trim() === 'unverifiable' || sameKey(loaded, pair.public)) break;
      if (attempt === 3) {
        throw new OutpostError('UNAVAILABLE', `OpenSSH on ${head.node} cannot load the tunnel key written to ${keyPath} (3 fresh keys tried): ${loaded.trim().slice(0, 200)}`, "check that host's disk and its ssh-keygen, then launch again");
      }
      this.progress('keys', `OpenSSH on ${head.node} could not load the tunnel key (${loaded.trim().slice(0, 120)}); writing a fresh one`);
    }
    await hosts.check(head.node, writeFileScript(`${runDir}/${KNOWN_HOSTS_FILE}`), 'writing known_hosts', { stdin: `${known.join('\n')}\n`, signal: this.signal });
  }

  private refusal(problems: ReadonlyArray<{ node: string; reason: string }>): OutpostError {
    const text = problems.map((p) => `${p.node}: ${p.reason}`).join('; ');
    this.progress('preflight', `refused: ${text}`);
    return new OutpostError('PRECONDITION', `preflight refused the launch — ${text}`, 'fix the hosts named, then launch again; nothing was started');
  }

  private async rollback(error: unknown): Promise<void> {
    const pipeline = this.pipeline as Pipeline;
    const cancelled = this.signal.aborted;
    this.progress('rollback', cancelled ? 'stopped during launch: stopping what was started' : `launch failed: ${(error as Error).message}; stopping what was started`);
    const unreachable = [...(await pipeline.stopWorkers()), ...(await pipeline.removeKeys())];
    for (const worker of pipeline.spec.workers) this.deps.repository.setWorker(this.id, worker.name, { state: 'stopped', pid: null });
    this.deps.router.withdraw(this.id);
    const detail = `${cancelled ? 'stopped during launch' : `launch failed: ${(error as Error).message}`}${unreachable.length ? `; could not clean up on ${[...new Set(unreachable)].join(', ')}` : ''}`;
    this.deps.repository.setState(this.id, cancelled ? 'stopped' : 'failed', detail.slice(0, 2000), this.deps.clock.now().toISOString());
  }
}
