import { binaryOn, headOf, hostOf, portOf, type EngineAdapter, type LaunchLayout, type StagePlacement, type WorkerSpec } from './engine.js';
import { rpcCacheAfterReady, rpcCacheBeforeStart } from './rpc-cache.js';

/**
 * How llama.cpp must be told to load the plan's stages. Layers go to the
 * model's devices in the order of that device list, in proportion to `-ts`,
 * and the first `n_layer + 1 − ngl` layers stay on the head's CPU; the output
 * layer counts as one more layer of the last device.
 *
 * Without `--device`, llama.cpp builds the device list itself: every RPC
 * device first (in `--rpc` order, "to minimize network transfers"), then the
 * head's local GPUs. On a head with a GPU that would put the plan's stage 0
 * after every remote stage, so the list is always pinned to the plan's stage
 * order with `--device` (which this build accepts only after `--rpc`, since
 * RPC devices exist once `--rpc` registered them). A CPU head keeps stage 0
 * off the device list: its layers are the ones `-ngl` leaves on the CPU.
 */
export interface LayerAssignment {
  gpuLayers: number;
  tensorSplit: number[];
  /** llama.cpp's device names, in plan order: the head's GPU (when stage 0 has one), then RPC0, RPC1… */
  devices: string[];
}

/**
 * llama.cpp's name for a local NVIDIA GPU. The stage's ordinal is nvidia-smi's
 * index, which counts in PCI bus order; the head runs with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID so that CUDA's numbering is the same.
 */
export const localGpuDevice = (stage: StagePlacement): string => `CUDA${stage.gpuOrdinal}`;

/** RPC devices are named by their position in `--rpc`, which lists the stages after the head in plan order. */
const rpcDevice = (position: number): string => `RPC${position}`;

const onGpu = (stage: StagePlacement): boolean => stage.gpu !== 'CPU';

export function layerAssignment(stages: readonly StagePlacement[], totalLayers: number): LayerAssignment {
  const [head, ...rest] = stages;
  if (!head) throw new Error('a plan without stages');
  const covered = stages.reduce((sum, s) => sum + s.layerCount, 0);
  if (covered !== totalLayers) throw new Error(`the stages cover ${covered} layers, the model has ${totalLayers}`);
  const offloaded = onGpu(head) ? stages : rest;
  if (offloaded.length === 0) return { gpuLayers: 0, tensorSplit: [], devices: [] };
  return {
    gpuLayers: totalLayers + 1 - (onGpu(head) ? 0 : head.layerCount),
    tensorSplit: offloaded.map((s, i) => s.layerCount + (i === offloaded.length - 1 ? 1 : 0)),
    devices: [...(onGpu(head) ? [localGpuDevice(head)] : []), ...rest.map((_, i) => rpcDevice(i))],
  };
}

export const rpcWorkerName = (stage: number): string => `rpc-${stage}`;
export const tunnelWorkerName = (stage: number): string => `tunnel-${stage}`;
export const TUNNEL_KEY_FILE = 'tunnel_key';
export const KNOWN_HOSTS_FILE = 'known_hosts';

/** Where the head connects for one RPC stage: its tunnel's local end, or the worker itself. */
function rpcPeer(layout: LaunchLayout, stage: StagePlacement): string {
  const port = portOf(layout, rpcWorkerName(stage.index));
  if (layout.rpcTransport === 'lan') return `${stage.address}:${port}`;
  if (!needsTunnel(layout.rpcTransport, headOf(layout), stage)) return `127.0.0.1:${port}`;
  return `127.0.0.1:${portOf(layout, tunnelWorkerName(stage.index))}`;
}

const needsTunnel = (transport: LaunchLayout['rpcTransport'], head: StagePlacement, stage: StagePlacement): boolean => transport === 'ssh' && stage.node !== head.node;

function rpcWorker(layout: LaunchLayout, stage: StagePlacement): WorkerSpec {
  const port = portOf(layout, rpcWorkerName(stage.index));
  // The RPC protocol has no authentication: loopback only, unless the site chose an isolated fabric.
  const host = layout.rpcTransport === 'lan' ? stage.address : '127.0.0.1';
  const cacheDir = hostOf(layout, stage.node).rpcCacheDir;
  return {
    name: rpcWorkerName(stage.index),
    role: 'rpc',
    node: stage.node,
    address: stage.address,
    stageIndex: stage.index,
    program: binaryOn(layout, stage.node, 'rpc-server'),
    args: ['-H', host, '-p', String(port), '-t', String(layout.threads), ...(cacheDir ? ['-c'] : [])],
    env: { ...(onGpu(stage) ? { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: String(stage.gpuOrdinal) } : {}), ...(cacheDir ? { LLAMA_CACHE: cacheDir } : {}) },
    listen: { host, port },
    health: { kind: 'process' },
    ...(cacheDir ? { beforeStart: rpcCacheBeforeStart(cacheDir), afterReady: rpcCacheAfterReady(cacheDir) } : {}),
  };
}

/** An SSH local forward from the head to one rpc-server, with a key that may open only that port. */
function tunnelWorker(layout: LaunchLayout, stage: StagePlacement): WorkerSpec {
  const head = headOf(layout);
  const runDir = hostOf(layout, head.node).runDir;
  const local = portOf(layout, tunnelWorkerName(stage.index));
  const remote = portOf(layout, rpcWorkerName(stage.index));
  return {
    name: tunnelWorkerName(stage.index),
    role: 'tunnel',
    node: head.node,
    address: head.address,
    stageIndex: stage.index,
    program: binaryOn(layout, head.node, 'ssh'),
    args: [
      '-N',
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ExitOnForwardFailure=yes',
      // The host key comes from Outpost's pin, written for this deployment only.
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${runDir}/${KNOWN_HOSTS_FILE}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=3',
      '-i',
      `${runDir}/${TUNNEL_KEY_FILE}`,
      '-L',
      `127.0.0.1:${local}:127.0.0.1:${remote}`,
      '-p',
      String(stage.sshPort),
      `${layout.user}@${stage.address}`,
    ],
    env: {},
    listen: { host: '127.0.0.1', port: local },
    health: { kind: 'process' },
  };
}

function headWorker(layout: LaunchLayout): WorkerSpec {
  const head = headOf(layout);
  const rpcStages = layout.stages.slice(1);
  const { gpuLayers, tensorSplit, devices } = layerAssignment(layout.stages, layout.totalLayers);
  const split = [
    ...(rpcStages.length ? ['--rpc', rpcStages.map((s) => rpcPeer(layout, s)).join(',')] : []),
    // A plan all on the head's CPU offloads nothing, whatever GPU the host may have.
    ...(devices.length ? ['--device', devices.join(','), '-sm', 'layer', '-ts', tensorSplit.join(',')] : ['--device', 'none']),
  ];
  return {
    name: 'head',
    role: 'head',
    node: head.node,
    address: head.address,
    stageIndex: head.index,
    program: binaryOn(layout, head.node, 'llama-server'),
    args: [
      '-m',
      layout.modelPath,
      '--alias',
      layout.servedModel,
      '--host',
      head.address,
      '--port',
      String(layout.apiPort),
      '-c',
      String(layout.context),
      '-np',
      String(layout.parallel),
      '-t',
      String(layout.threads),
      '-ngl',
      String(gpuLayers),
      ...split,
      // The plan already fits memory; llama.cpp's own fitting would load the model twice and may move layers.
      '-fit',
      'off',
      '-lv',
      String(layout.logVerbosity),
    ],
    env: onGpu(head) ? { CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } : {},
    listen: { host: head.address, port: layout.apiPort },
    health: { kind: 'http', path: '/health' },
  };
}

export const llamaCppEngine: EngineAdapter = {
  kind: 'llama.cpp',
  readinessPath: '/health',
  modelOnEveryHost: false,
  binariesFor(stages, transport) {
    const [head, ...rest] = stages;
    if (!head) return [];
    const needs = [{ node: head.node, binary: 'llama-server' }];
    for (const stage of rest) needs.push({ node: stage.node, binary: 'rpc-server' });
    if (rest.some((s) => needsTunnel(transport, head, s))) needs.push({ node: head.node, binary: 'ssh' });
    return needs;
  },
  portsNeeded(stages, transport) {
    const [head, ...rest] = stages;
    if (!head) return [];
    return rest.flatMap((s) => [{ key: rpcWorkerName(s.index), node: s.node }, ...(needsTunnel(transport, head, s) ? [{ key: tunnelWorkerName(s.index), node: head.node }] : [])]);
  },
  workers(layout) {
    const rpcStages = layout.stages.slice(1);
    const head = headOf(layout);
    const tunnels = rpcStages.filter((s) => needsTunnel(layout.rpcTransport, head, s)).map((s) => tunnelWorker(layout, s));
    return [...rpcStages.map((s) => rpcWorker(layout, s)), ...tunnels, headWorker(layout)];
  },
};
