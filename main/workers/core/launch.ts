import { createHash } from 'node:crypto';
import { OutpostError } from '../../../shared/errors.js';
import type { ParsedInput } from '../../../shared/contract/index.js';
import type { ShardPlan } from '../../../shared/domain/planner.js';
import type { Deployment, DeploymentStage, LaunchProgress } from '../../../shared/domain/workers.js';
import { ENGINES, KNOWN_HOSTS_FILE, rpcWorkerName, TUNNEL_KEY_FILE, unknownPlaceholders, type LaunchLayout, type StagePlacement, type WorkerSpec } from './engines/index.js';
import { rpcCacheDirFor } from './engines/rpc-cache.js';
import { gpuOrdinals } from './gpu-placement.js';
import { stopOrphans } from './orphans.js';
import { copyModel } from './model-copy.js';
import { launchLogin } from './launch-login.js';
import { nodeModelScript, nodeModelVerdict, type NodeModelFile } from './node-model.js';
import { pullModel } from './node-pull.js';
import { Pipeline } from './pipeline.js';
import { recordActuals } from './plan-vs-actual.js';
import type { DeploymentSpec, RemoteHosts, WorkersPorts } from './ports.js';
import { allocatePorts, parsePreflight, preflightProblems, preflightScript, type HostFacts, type PreflightProblem } from './preflight.js';
import { rpcCompatibility } from './rpc-compat.js';
import type { TransferReading } from './transfer-meter.js';
import { deploymentKeyMarker, installKeyScript, loadKeyScript, modelPathFor, runDirFor, sameKey, tunnelKeyLine, writeFileScript } from './remote-scripts.js';

const READY_TIMEOUT_MS = 180_000;
/** RPC and tunnel ports come from 20100–29099, starting at a place that depends on the deployment, so two
 * launches onto one host at the same moment (before either listens) are unlikely to pick the same port. Below
 * Linux's ephemeral range (32768–60999): there, any outgoing connection of the host (SSH, HTTP) may take the port
 * as its local end between preflight and the bind, and the rpc-server would die with "address in use". */
const rpcPortStart = (id: string): number => 20_100 + (createHash('sha256').update(id).digest().readUInt16BE(0) % 900) * 10;
const TEST_PROMPT = 'Say hello to the site in one sentence.';

export type LaunchInput = ParsedInput<'workers.launch'>;

interface ModelSource {
  local: string | null;
  onNode: NodeModelFile | null;
  /** The node's file is on another node than the head's: the head pulls it from there (see pullModel). */
  pulled: boolean;
}

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

  private progress(phase: LaunchProgress['phase'], message: string, fraction: number | null = null, transfer?: TransferReading): void {
    this.deps.events.progress({ deploymentId: this.id, phase, message, fraction, ...(transfer ? { transfer } : {}) });
  }

  async run(): Promise<Deployment> {
    const plan = this.deps.plans(this.input.planId);
    if (!plan.feasible) throw new OutpostError('PRECONDITION', `plan ${this.input.planId} is not feasible (${plan.reason})`, 'plan again with other nodes');
    const source = this.modelSourceOf(plan);
    if (this.input.template) {
      const unknown = unknownPlaceholders(this.input.template);
      if (unknown.length) throw new OutpostError('INVALID_INPUT', `the template names unknown placeholder(s) {${unknown.join('}, {')}}`, 'use {model} {host} {port} {stage} {firstLayer} {lastLayer} {layers} {node} {head} {headPort} {runDir}');
    }
    const nodes = [...new Set([...plan.stages.map((s) => s.node), ...(source.onNode ? [source.onNode.node] : [])])];
    const user = this.input.user ?? this.defaultUser(nodes);
    const hosts = this.deps.openHosts(nodes, user, this.input.key);
    this.hosts = hosts;
    try {
      return await this.launch(plan, source, placeStages(plan, hosts, this.deps.gpus), user);
    } finally {
      hosts.close();
    }
  }

  /** The login that inventoried the nodes: one launch logs into every host as one user, so they must agree. */
  private defaultUser(nodes: readonly string[]): string {
    const login = launchLogin(nodes, this.deps.inventoriedLogin, this.deps.localUser);
    if (login.user === null) throw new OutpostError('PRECONDITION', login.problem ?? 'no login to launch as', 'pass --user with the login every host accepts');
    return login.user;
  }

  /**
   * This workstation's file (copied to the head), or a node's file: loaded in place by the head that holds it,
   * else pulled by the head from its holder. An engine that loads the model on every host is not fed from a node.
   */
  private modelSourceOf(plan: ShardPlan): ModelSource {
    const file = this.deps.models.fileOfPlan(this.input.planId);
    if (!file?.node) return { local: file?.path ?? null, onNode: null, pulled: false };
    const head = plan.stages[0]?.node;
    const everyHost = ENGINES[this.input.engine].modelOnEveryHost && new Set(plan.stages.map((s) => s.node)).size > 1;
    if (!head || everyHost || file.sizeBytes === undefined || file.headerDigest === undefined) {
      throw new OutpostError(
        'PRECONDITION',
        `plan ${this.input.planId} was made from ${file.node}:${file.path}, which ${everyHost ? `${this.input.engine} would need on every host of the plan` : 'the plan did not record by size and digest'}; a node's file is loaded by the head, in place or pulled from its holder`,
        `copy the file to this workstation and plan with --model <file.gguf>`,
      );
    }
    return { local: null, onNode: { node: file.node, path: file.path, sizeBytes: file.sizeBytes, headerDigest: file.headerDigest }, pulled: file.node !== head };
  }

  /** The node's file as it is now: its real path on its holder, or a preflight problem naming it when it is gone or changed. */
  private async nodeFile(source: ModelSource, problems: PreflightProblem[]): Promise<string | null> {
    const file = source.onNode as NodeModelFile;
    const verdict = nodeModelVerdict(file, await (this.hosts as RemoteHosts).check(file.node, nodeModelScript(file.path), 'reading the model file', { signal: this.signal, timeoutMs: 60_000 }));
    if ('problem' in verdict) {
      problems.push({ node: file.node, reason: verdict.problem });
      return null;
    }
    if (!source.pulled) this.progress('model', `loading ${file.path} in place on ${file.node}: nothing to copy`, 1);
    return verdict.path;
  }

  private async launch(plan: ShardPlan, source: ModelSource, stages: StagePlacement[], user: string): Promise<Deployment> {
    const hosts = this.hosts as RemoteHosts;
    const engine = ENGINES[this.input.engine];
    const nodes = [...new Set(stages.map((s) => s.node))];
    const head = stages[0] as StagePlacement;
    this.progress('preflight', `checking ${nodes.length} host(s)`);
    const homes = new Map<string, string>();
    // A node's file is read on its holder, which may hold no stage: it must answer too.
    const reached = [...new Set([...nodes, ...(source.onNode ? [source.onNode.node] : [])])];
    const reachability = await Promise.allSettled(reached.map(async (node) => homes.set(node, (await hosts.check(node, 'printf %s "$HOME"', 'reading $HOME', { signal: this.signal })).trim())));
    const unreachable = reachability.flatMap((r, i) => (r.status === 'rejected' ? [{ node: reached[i] as string, reason: (r.reason as Error).message }] : []));
    if (unreachable.length) throw this.refusal(unreachable);
    // Leftovers of an earlier run may hold the ports preflight is about to read: they go first.
    const leftovers = await stopOrphans(hosts, nodes, { repository: this.deps.repository, journal: this.deps.journal, owner: this.deps.owner, by: 'launch' });
    if (leftovers.stopped.length) this.progress('preflight', `stopped ${leftovers.stopped.map((o) => `${o.worker} of ${o.deploymentId} (pid ${o.pid} on ${o.node})`).join(', ')}, left by an earlier run`);
    const model = source.local ? await this.deps.models.local(source.local) : null;
    if (!model && !source.onNode && this.input.engine === 'llama.cpp') {
      throw new OutpostError('PRECONDITION', `plan ${this.input.planId} names the catalog model ${plan.model.name}, not a model file`, 'plan with --model <file.gguf> so Outpost knows which file to load');
    }
    // Content-addressed under each host's home: the same digest is never copied twice.
    const modelNodes = engine.modelOnEveryHost ? nodes : [head.node];
    const modelPaths = new Map(model ? modelNodes.map((n) => [n, modelPathFor(homes.get(n) as string, model.sha256, '.gguf')]) : []);
    // The head pulls a node's file from its holder with OpenSSH's client.
    const needs = [...engine.binariesFor(stages, this.input.rpcTransport), ...(source.pulled ? [{ node: head.node, binary: 'ssh' }] : [])];
    const facts = new Map<string, HostFacts>();
    await Promise.all(
      nodes.map(async (node) => {
        const script = preflightScript({ binaries: needs.filter((n) => n.node === node).map((n) => n.binary), modelPath: modelPaths.get(node) ?? null });
        facts.set(node, parsePreflight(await hosts.check(node, script, 'preflight', { signal: this.signal, timeoutMs: 600_000 })));
      }),
    );
    const problems = preflightProblems({ stages, memoryByStage: new Map(plan.stages.map((s) => [s.index, s.memory.totalBytes])), needs, facts, apiPort: this.input.port });
    if (engine.kind === 'llama.cpp') problems.push(...this.rpcVersionProblems(stages, facts));
    for (const [node, path] of modelPaths) {
      const present = facts.get(node)?.model;
      if (model && present && (present.sha256 !== model.sha256 || present.sizeBytes !== model.sizeBytes)) {
        problems.push({ node, reason: `the model file ${path} has digest ${present.sha256.slice(0, 12)}…, expected ${model.sha256.slice(0, 12)}… (remove it and launch again to copy a fresh one)` });
      }
    }
    const nodeFilePath = source.onNode ? await this.nodeFile(source, problems) : null;
    if (problems.length) throw this.refusal(problems);
    if (source.pulled && nodeFilePath) modelPaths.set(head.node, await this.pull(source.onNode as NodeModelFile, nodeFilePath, head.node, homes.get(head.node) as string, user));

    for (const [node, path] of modelPaths) {
      if (model && !facts.get(node)?.model) await copyModel(hosts, this.deps.clock, model, node, path, (message, fraction, transfer) => this.progress('model', message, fraction, transfer), this.signal);
    }

    const ports = allocatePorts(engine.portsNeeded(stages, this.input.rpcTransport), facts, [this.input.port], rpcPortStart(this.id));
    const runDirs = Object.fromEntries(nodes.map((n) => [n, runDirFor(homes.get(n) as string, this.id)]));
    const layout: LaunchLayout = {
      deploymentId: this.id,
      servedModel: servedName(plan.model.name),
      modelPath: modelPaths.get(head.node) ?? nodeFilePath ?? plan.model.name,
      totalLayers: plan.model.layers,
      context: plan.context,
      parallel: plan.parallel,
      threads: this.input.threads,
      apiPort: this.input.port,
      rpcTransport: this.input.rpcTransport,
      user,
      stages,
      ports,
      hosts: Object.fromEntries(
        nodes.map((n) => [
          n,
          {
            runDir: runDirs[n] as string,
            modelPath: modelPaths.get(n),
            binaries: Object.fromEntries(Object.entries(facts.get(n)?.binaries ?? {}).filter((e): e is [string, string] => e[1] !== null)),
            rpcCacheDir: facts.get(n)?.llamaCpp['rpc-server']?.cache ? rpcCacheDirFor(homes.get(n) as string) : undefined,
          },
        ]),
      ),
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
      relaunch: { port: this.input.port, threads: this.input.threads, template: this.input.template },
      ...(plan.model.release ? { release: plan.model.release } : {}),
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

  /** The holder's file pulled by the head into its content-addressed store (see pullModel); resolves to its path there. */
  private pull(file: NodeModelFile, realPath: string, head: string, headHome: string, user: string): Promise<string> {
    const request = { deploymentId: this.id, owner: this.deps.owner, file, realPath, head, headHome, headRunDir: runDirFor(headHome, this.id), user, keyMarker: `${deploymentKeyMarker(this.id)}:model-pull` };
    return pullModel(this.hosts as RemoteHosts, this.deps, request, (message, fraction, transfer) => this.progress('model', message, fraction, transfer), this.signal);
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

  /** The head's llama.cpp against each rpc-server's (see rpcCompatibility); what could not be compared is said, not refused. */
  private rpcVersionProblems(stages: readonly StagePlacement[], facts: ReadonlyMap<string, HostFacts>): PreflightProblem[] {
    const [head, ...members] = stages;
    if (!head || !members.length) return [];
    const side = (stage: StagePlacement, role: string, what: string) => ({ node: stage.node, what, facts: facts.get(stage.node)?.llamaCpp[role] });
    const { problems, unchecked } = rpcCompatibility(
      side(head, 'llama-server', 'the head'),
      members.map((m) => side(m, 'rpc-server', `stage ${m.index}'s rpc-server`)),
    );
    if (unchecked.length) this.progress('preflight', `the RPC protocol could not be compared (no protocol or build readable on both sides) for ${unchecked.join('; ')}`);
    return problems;
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
