import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { planShards } from '../../main/planner/index.js';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { ENGINES, type LaunchLayout, type StagePlacement } from '../../main/workers/core/engines/index.js';
import { engineBinDir } from '../helpers/engine.js';
import { until } from '../helpers/workers.js';

// Three "hosts" on loopback: the head on 127.0.0.1, rpc-servers on .181 and .182 (their addresses tell the
// RPC devices apart in llama.cpp's log). No SSH here: this test is about what llama.cpp loads where.
const ADDRESSES = { a: '127.0.0.1', b: '127.0.0.181', c: '127.0.0.182' } as const;

const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });

/** The kernel's own table: the rpc-server buffers its banner, so its log cannot say when it listens. */
const listening = (port: number): boolean =>
  readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const [, local, , state] = line.trim().split(/\s+/);
      return state === '0A' && local?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`);
    });

interface Bench {
  dir: string;
  model: string;
  plan: Awaited<ReturnType<typeof planShards>>;
  stages: StagePlacement[];
  spawnLogged(name: string, program: string, args: string[], env?: Record<string, string>): { output: () => string; child: ChildProcess };
  rpcServer(name: string, address: string, port: number): Promise<void>;
}

async function loadLogBench(t: test.TestContext): Promise<Bench> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-load-log-'));
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const model = path.join(dir, 'tiny.gguf');
  writeFileSync(model, tinyGguf(1));
  const plan = await planShards({
    model,
    context: 2048,
    parallel: 3,
    devices: Object.keys(ADDRESSES).map((node) => ({ gpu: 'CPU', node, memoryGB: 2, bandwidthGBs: 1 })),
    nodes: Object.keys(ADDRESSES).map((name) => ({ name })),
  });
  assert.ok(plan.feasible);
  assert.equal(plan.stages.length, 3, 'a head and two rpc-servers');
  const stages: StagePlacement[] = plan.stages.map((s) => ({
    index: s.index,
    node: s.node,
    address: ADDRESSES[s.node as keyof typeof ADDRESSES],
    sshPort: 22,
    gpu: s.gpu,
    gpuOrdinal: 0,
    firstLayer: s.firstLayer,
    lastLayer: s.lastLayer,
    layerCount: s.layerCount,
    holdsOutput: s.holdsOutput,
  }));
  const spawnLogged = (name: string, program: string, args: string[], env: Record<string, string> = {}): { output: () => string; child: ChildProcess } => {
    let text = '';
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => void (text += d.toString()));
    child.stderr?.on('data', (d: Buffer) => void (text += d.toString()));
    children.push(child);
    return { output: () => text, child };
  };
  const rpcServer = async (name: string, address: string, port: number): Promise<void> => {
    spawnLogged(name, path.join(engineBinDir(), 'ggml-rpc-server'), ['-H', address, '-p', String(port), '-t', '1']);
    await until(`${name} listening`, () => listening(port), 20_000);
  };
  return { dir, model, plan, stages, spawnLogged, rpcServer };
}

function layoutFor(bench: Bench, stages: StagePlacement[], ports: Record<string, number>, apiPort: number): LaunchLayout {
  const bin = engineBinDir();
  return {
    deploymentId: 'dep-loadlog',
    servedModel: 'tiny',
    modelPath: bench.model,
    totalLayers: bench.plan.model.layers,
    context: 2048,
    parallel: 1,
    threads: 1,
    apiPort,
    rpcTransport: 'lan',
    user: 'unused',
    stages,
    ports,
    hosts: Object.fromEntries(stages.map((s) => [s.node, { runDir: bench.dir, binaries: { 'llama-server': path.join(bin, 'llama-server'), 'rpc-server': path.join(bin, 'ggml-rpc-server') } }])),
    logVerbosity: 5,
  };
}

/** Which endpoint (or CPU) llama.cpp's own load log assigned each layer to, once the head is ready. */
async function assignedLayers(bench: Bench, name: string, program: string, args: string[], apiUrl: string, options: { thenStop?: boolean } = {}): Promise<{ assigned: Map<number, string>; log: string }> {
  const { output, child } = bench.spawnLogged(name, program, args);
  await until(`${name} ready`, async () => (await fetch(`${apiUrl}/health`).catch(() => null))?.status === 200, 60_000);
  // The log comes through a pipe: it may trail the health answer a little. The summary line ends the layer list.
  await until(`${name}'s load log`, () => /offloaded \d+\/\d+ layers to GPU/.test(output()), 10_000);
  if (options.thenStop) {
    // An rpc-server serves one head at a time: the next head can connect only once this one is gone.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  const text = output();
  // llama.cpp names RPC devices RPC0, RPC1… in --rpc order and says which endpoint each one is.
  const endpoints = new Map([...text.matchAll(/using device (RPC\d+) \(([^)]+)\)/g)].map((m) => [m[1] as string, m[2] as string]));
  const assigned = new Map([...text.matchAll(/load_tensors: layer\s+(\d+) assigned to device (\S+),/g)].map((m) => [Number(m[1]), endpoints.get(m[2] as string) ?? (m[2] as string)]));
  return { assigned, log: text };
}

function plannedLayers(bench: Bench, deviceOf: (stage: StagePlacement) => string): Map<number, string> {
  const expected = new Map<number, string>();
  for (const stage of bench.stages) for (let layer = stage.firstLayer; layer <= stage.lastLayer; layer++) expected.set(layer, deviceOf(stage));
  expected.set(bench.plan.model.layers, deviceOf(bench.stages.at(-1) as StagePlacement)); // the output layer
  return expected;
}

const show = (assigned: Map<number, string>): string => [...assigned].map(([l, d]) => `${l} → ${d}`).join('\n');

test("the plan's stages are what llama.cpp loads: its own load log assigns each layer to the planned host", async (t) => {
  const bench = await loadLogBench(t);
  const { stages, plan } = bench;
  const ports: Record<string, number> = {};
  for (const need of ENGINES['llama.cpp'].portsNeeded(stages, 'lan')) ports[need.key] = await freePort(stages.find((s) => s.node === need.node)?.address as string);
  const head = stages[0] as StagePlacement;
  const layout = layoutFor(bench, stages, ports, await freePort(head.address));
  const workers = ENGINES['llama.cpp'].workers(layout);
  for (const worker of workers.filter((w) => w.role === 'rpc')) await bench.rpcServer(worker.name, worker.listen?.host as string, worker.listen?.port as number);
  const headWorker = workers.find((w) => w.role === 'head') as (typeof workers)[number];
  const apiUrl = `http://${head.address}:${layout.apiPort}`;
  const { assigned, log } = await assignedLayers(bench, 'head', headWorker.program, headWorker.args, apiUrl);

  const deviceOf = (stage: StagePlacement): string => (stage.index === head.index ? 'CPU' : `${stage.address}:${ports[`rpc-${stage.index}`]}`);
  assert.deepEqual(assigned, plannedLayers(bench, deviceOf), `llama.cpp's assignment:\n${show(assigned)}`);
  assert.match(log, new RegExp(`offloaded ${plan.model.layers + 1 - head.layerCount}/${plan.model.layers + 1} layers to GPU`));

  const reply = await fetch(`${apiUrl}/completion`, { method: 'POST', body: JSON.stringify({ prompt: 'Hello', n_predict: 8 }) });
  assert.equal(reply.status, 200);
  assert.equal(((await reply.json()) as { tokens_predicted: number }).tokens_predicted, 8, 'tokens came through all three stages');
});

test("a head with a GPU loads stage 0 on it first, though llama.cpp's default order puts local GPUs after every RPC device", async (t) => {
  const bench = await loadLogBench(t);
  // This machine has no GPU. A stand-in: one more rpc-server on the head's address, listed after the plan's
  // RPC peers, sits exactly where llama.cpp's default order puts a local GPU (after every RPC device). The
  // adapter names the head's GPU CUDA0; the test renames it to the stand-in's RPC name and adds its endpoint.
  const stages = bench.stages.map((s, i) => (i === 0 ? { ...s, gpu: 'stand-in GPU', gpuOrdinal: 0 } : s));
  const head = stages[0] as StagePlacement;
  const ports: Record<string, number> = {};
  for (const need of ENGINES['llama.cpp'].portsNeeded(stages, 'lan')) ports[need.key] = await freePort(stages.find((s) => s.node === need.node)?.address as string);
  const standIn = `${head.address}:${await freePort(head.address)}`;
  const layout = layoutFor(bench, stages, ports, await freePort(head.address));
  const workers = ENGINES['llama.cpp'].workers(layout);
  for (const worker of workers.filter((w) => w.role === 'rpc')) await bench.rpcServer(worker.name, worker.listen?.host as string, worker.listen?.port as number);
  await bench.rpcServer('stand-in-gpu', head.address, Number(standIn.split(':')[1]));
  const headWorker = workers.find((w) => w.role === 'head') as (typeof workers)[number];
  const standInName = `RPC${stages.length - 1}`;
  const args = headWorker.args.map((arg, i, all) => {
    if (all[i - 1] === '--rpc') return `${arg},${standIn}`;
    if (all[i - 1] === '--device') return arg.replace(/^CUDA0,/, `${standInName},`);
    return arg;
  });
  assert.equal(args[args.indexOf('--device') + 1], `${standInName},RPC0,RPC1`, 'the plan order: the head GPU, then the RPC stages');
  assert.equal(args[args.indexOf('-ngl') + 1], String(bench.plan.model.layers + 1), 'nothing left on the head CPU');

  const deviceOf = (stage: StagePlacement): string => (stage.index === head.index ? standIn : `${stage.address}:${ports[`rpc-${stage.index}`]}`);
  const apiUrl = `http://${head.address}:${layout.apiPort}`;
  const { assigned } = await assignedLayers(bench, 'head', headWorker.program, args, apiUrl, { thenStop: true });
  assert.deepEqual(assigned, plannedLayers(bench, deviceOf), `with --device, llama.cpp's assignment:\n${show(assigned)}`);

  // Why --device is there: without it the same split lands stage 0's layers on the first RPC device instead.
  const controlPort = await freePort(head.address);
  const withoutPin = args.filter((_, i) => args[i] !== '--device' && args[i - 1] !== '--device').map((arg, i, all) => (all[i - 1] === '--port' ? String(controlPort) : arg));
  const { assigned: unpinned } = await assignedLayers(bench, 'head-default-order', headWorker.program, withoutPin, `http://${head.address}:${controlPort}`);
  const firstRpc = stages[1] as StagePlacement;
  assert.equal(unpinned.get(head.firstLayer), `${firstRpc.address}:${ports[`rpc-${firstRpc.index}`]}`, `default order:\n${show(unpinned)}`);
});
