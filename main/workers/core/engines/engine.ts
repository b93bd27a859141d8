import type { EngineKind, RpcTransport, WorkerRole } from '../../../../shared/domain/workers.js';

/** One plan stage placed on a reachable host. */
export interface StagePlacement {
  index: number;
  node: string;
  /** The address Outpost (and the head) reach the node's sshd on. */
  address: string;
  sshPort: number;
  gpu: string;
  /** nvidia-smi's index of the GPU this stage uses on its node (see gpuOrdinals); 0 for a CPU stage. */
  gpuOrdinal: number;
  firstLayer: number;
  lastLayer: number;
  layerCount: number;
  holdsOutput: boolean;
}

/**
 * Everything an engine needs to turn a plan into command lines, resolved by
 * preflight: where binaries and the model are on each host, which ports are
 * free, the run directory. The adapters are pure functions of it.
 */
export interface LaunchLayout {
  deploymentId: string;
  /** The name the head serves the model under (router endpoint model). */
  servedModel: string;
  /** The model file on the head's host, absolute. */
  modelPath: string;
  /** Transformer blocks; the output layer comes on top of these. */
  totalLayers: number;
  context: number;
  parallel: number;
  threads: number;
  apiPort: number;
  rpcTransport: RpcTransport;
  /** SSH login on every host (the tunnels log in with it too). */
  user: string;
  stages: StagePlacement[];
  /** The ports the adapter asked for (`portsNeeded`), by key, each free on its node. */
  ports: Record<string, number>;
  /**
   * Per node: engine binaries by role name ('llama-server', 'rpc-server', 'vllm', 'ray'), the run dir, the model's
   * path there when it has a copy, and the folder that outlives deployments where its rpc-server keeps the tensors
   * it was sent (only when that rpc-server has a cache).
   */
  hosts: Record<string, { runDir: string; binaries: Record<string, string>; modelPath?: string | undefined; rpcCacheDir?: string | undefined }>;
  /** llama.cpp's log verbosity on the head (5, debug, logs which device each layer was assigned to). */
  logVerbosity: number;
  /** The custom engine's template. */
  template?: string | undefined;
}

export type HealthCheck =
  | { kind: 'http'; path: string }
  /** Alive is all that can be checked from outside (rpc-server and tunnels speak no HTTP). */
  | { kind: 'process' };

/** One process of a deployment, as started on its host. */
export interface WorkerSpec {
  name: string;
  role: WorkerRole;
  node: string;
  address: string;
  stageIndex: number | null;
  program: string;
  args: string[];
  env: Record<string, string>;
  listen: { host: string; port: number } | null;
  health: HealthCheck;
  /** Shell lines run on its host just before each start (in its run dir). */
  beforeStart?: string | undefined;
  /** Shell lines run on its host each time the head has become ready (best effort). */
  afterReady?: string | undefined;
}

/** What every engine adapter provides: which binaries a host needs, and the processes, started in order. */
export interface EngineAdapter {
  readonly kind: EngineKind;
  /** Binary role names per node ('llama-server' on the head, …). */
  binariesFor(stages: readonly StagePlacement[], transport: RpcTransport): Array<{ node: string; binary: string }>;
  /** Ports to find free, by key, and the node each must be free on (besides the API port on the head). */
  portsNeeded(stages: readonly StagePlacement[], transport: RpcTransport): Array<{ key: string; node: string }>;
  /** In start order: the head (the API) last, after everything it connects to. */
  workers(layout: LaunchLayout): WorkerSpec[];
  /** The head's readiness URL path: answers 200 only once the model is loaded. */
  readinessPath: string;
  /** Whether every stage host loads the model file itself (vLLM, most custom engines), or only the head (llama.cpp sends weights over RPC). */
  modelOnEveryHost: boolean;
}

export const headOf = (layout: LaunchLayout): StagePlacement => {
  const head = layout.stages[0];
  if (!head) throw new Error('a layout without stages');
  return head;
};

export function hostOf(layout: LaunchLayout, node: string): LaunchLayout['hosts'][string] {
  const host = layout.hosts[node];
  if (!host) throw new Error(`no host facts for node ${node}`);
  return host;
}

export function portOf(layout: LaunchLayout, key: string): number {
  const port = layout.ports[key];
  if (port === undefined) throw new Error(`no port allocated for ${key}`);
  return port;
}

export function binaryOn(layout: LaunchLayout, node: string, binary: string): string {
  const path = hostOf(layout, node).binaries[binary];
  if (!path) throw new Error(`no ${binary} resolved on ${node}`);
  return path;
}
