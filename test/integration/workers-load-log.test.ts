import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { planShards } from '../../main/planner/index.js';
import { tinyGguf } from '../../main/workers/index.js';
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
  readFileSync('/proc/net/tcp', 'utf8').split('\n').some((line) => {
    const [, local, , state] = line.trim().split(/\s+/);
    return state === '0A' && local?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`);
  });

test("the plan's stages are what llama.cpp loads: its own load log assigns each layer to the planned host", async (t) => {
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
    index: s.index, node: s.node, address: ADDRESSES[s.node as keyof typeof ADDRESSES], sshPort: 22, gpu: s.gpu, gpuOrdinal: 0,
    firstLayer: s.firstLayer, lastLayer: s.lastLayer, layerCount: s.layerCount, holdsOutput: s.holdsOutput,
  }));
  const bin = engineBinDir();
  const ports: Record<string, number> = {};
  for (const need of ENGINES['llama.cpp'].portsNeeded(stages, 'lan')) ports[need.key] = await freePort(stages.find((s) => s.node === need.node)?.address as string);
  const head = stages[0] as StagePlacement;
  const layout: LaunchLayout = {
    deploymentId: 'dep-loadlog', servedModel: 'tiny', modelPath: model, totalLayers: plan.model.layers, context: 2048, parallel: 1, threads: 1,
    apiPort: await freePort(head.address), rpcTransport: 'lan', user: 'unused', stages, ports,
    hosts: Object.fromEntries(stages.map((s) => [s.node, { runDir: dir, binaries: { 'llama-server': path.join(bin, 'llama-server'), 'rpc-server': path.join(bin, 'ggml-rpc-server') } }])),
    logVerbosity: 5,
  };
  const workers = ENGINES['llama.cpp'].workers(layout);
  const logs = new Map<string, string>();
  for (const worker of workers) {
    const file = path.join(dir, `${worker.name}.log`);
    logs.set(worker.name, file);
    const out = createWriteStream(file);
    const child = spawn(worker.program, worker.args, { env: { ...process.env, ...worker.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    children.push(child);
    if (worker.role === 'rpc') await until(`${worker.name} listening`, () => listening(worker.listen?.port ?? 0), 20_000);
  }
  const apiUrl = `http://${head.address}:${layout.apiPort}`;
  await until('the head ready', async () => (await fetch(`${apiUrl}/health`).catch(() => null))?.status === 200, 60_000);

  const log = readFileSync(logs.get('head') as string, 'utf8');
  // llama.cpp names RPC devices RPC0, RPC1… in --rpc order and says which endpoint each one is.
  const endpoints = new Map([...log.matchAll(/using device (RPC\d+) \(([^)]+)\)/g)].map((m) => [m[1] as string, m[2] as string]));
  const assigned = new Map([...log.matchAll(/load_tensors: layer\s+(\d+) assigned to device (\S+),/g)].map((m) => [Number(m[1]), endpoints.get(m[2] as string) ?? (m[2] as string)]));
  const deviceOf = (stage: StagePlacement): string => (stage.index === head.index ? 'CPU' : `${stage.address}:${ports[`rpc-${stage.index}`]}`);
  const expected = new Map<number, string>();
  for (const stage of stages) for (let layer = stage.firstLayer; layer <= stage.lastLayer; layer++) expected.set(layer, deviceOf(stage));
  expected.set(plan.model.layers, deviceOf(stages.at(-1) as StagePlacement)); // the output layer
  assert.deepEqual(assigned, expected, `llama.cpp's assignment:\n${[...assigned].map(([l, d]) => `${l} → ${d}`).join('\n')}`);
  assert.match(log, new RegExp(`offloaded ${plan.model.layers + 1 - head.layerCount}/${plan.model.layers + 1} layers to GPU`));

  const reply = await fetch(`${apiUrl}/completion`, { method: 'POST', body: JSON.stringify({ prompt: 'Hello', n_predict: 8 }) });
  assert.equal(reply.status, 200);
  assert.equal(((await reply.json()) as { tokens_predicted: number }).tokens_predicted, 8, 'tokens came through all three stages');
});
