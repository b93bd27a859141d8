import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import test from 'node:test';
import { ENGINES, fillTemplate, layerAssignment, unknownPlaceholders, type LaunchLayout, type StagePlacement } from './index.js';

const stage = (index: number, node: string, firstLayer: number, layerCount: number, last = false): StagePlacement => ({
  index,
  node,
  address: `10.0.0.${index + 1}`,
  sshPort: 22,
  gpu: 'CPU',
  gpuOrdinal: 0,
  firstLayer,
  lastLayer: firstLayer + layerCount - 1,
  layerCount,
  holdsOutput: last,
});

const layout = (stages: StagePlacement[], extra: Partial<LaunchLayout> = {}): LaunchLayout => ({
  deploymentId: 'dep-abcd',
  servedModel: 'tiny',
  modelPath: '/home/u/.outpost/models/x.gguf',
  totalLayers: stages.reduce((s, x) => s + x.layerCount, 0),
  context: 2048,
  parallel: 1,
  threads: 1,
  apiPort: 8181,
  rpcTransport: 'ssh',
  user: 'u',
  stages,
  ports: { 'rpc-1': 50100, 'tunnel-1': 50101, 'rpc-2': 50102, 'tunnel-2': 50103, ray: 6379, 'stage-1': 7001, 'stage-2': 7002 },
  hosts: Object.fromEntries(stages.map((s) => [s.node, { runDir: `/home/u/.outpost/run/dep-abcd`, binaries: { 'llama-server': '/opt/ls', 'rpc-server': '/opt/rpc', ssh: '/usr/bin/ssh', vllm: '/opt/vllm', ray: '/opt/ray' } }])),
  logVerbosity: 3,
  ...extra,
});

test('a CPU head keeps stage 0 on its CPU; the RPC devices get the rest in plan order, the output layer counted on the last', () => {
  assert.deepEqual(layerAssignment([stage(0, 'a', 0, 1), stage(1, 'b', 1, 1), stage(2, 'c', 2, 2, true)], 4), { gpuLayers: 4, tensorSplit: [1, 3], devices: ['RPC0', 'RPC1'] });
  assert.deepEqual(layerAssignment([stage(0, 'a', 0, 10), stage(1, 'b', 10, 22, true)], 32), { gpuLayers: 23, tensorSplit: [23], devices: ['RPC0'] });
  assert.deepEqual(layerAssignment([stage(0, 'a', 0, 4, true)], 4), { gpuLayers: 0, tensorSplit: [], devices: [] });
  const alone = ENGINES['llama.cpp'].workers(layout([stage(0, 'a', 0, 4, true)]));
  assert.match(alone.at(-1)?.args.join(' ') ?? '', /-ngl 0 --device none -fit/, 'a CPU plan offloads nothing, even on a host with a GPU');
  assert.throws(() => layerAssignment([stage(0, 'a', 0, 1), stage(1, 'b', 1, 1)], 4), /cover 2 layers, the model has 4/);
});

test("a GPU head puts stage 0 first on its own GPU: llama.cpp's default order (RPC devices, then local GPUs) is overridden", () => {
  const gpuStage = (s: StagePlacement, gpuOrdinal: number): StagePlacement => ({ ...s, gpu: 'RTX 4090', gpuOrdinal });
  const stages = [gpuStage(stage(0, 'a', 0, 12), 1), gpuStage(stage(1, 'b', 12, 10), 0), stage(2, 'c', 22, 10, true)];
  assert.deepEqual(layerAssignment(stages, 32), { gpuLayers: 33, tensorSplit: [12, 10, 11], devices: ['CUDA1', 'RPC0', 'RPC1'] });
  assert.deepEqual(layerAssignment([gpuStage(stage(0, 'a', 0, 4, true), 0)], 4), { gpuLayers: 5, tensorSplit: [5], devices: ['CUDA0'] });

  const workers = ENGINES['llama.cpp'].workers(layout(stages));
  const head = workers.find((w) => w.role === 'head');
  const args = head?.args.join(' ') ?? '';
  // --device names RPC devices, which exist only once --rpc has registered them: it must come after.
  assert.match(args, /--rpc 127\.0\.0\.1:50101,127\.0\.0\.1:50103 --device CUDA1,RPC0,RPC1 -sm layer -ts 12,10,11/);
  assert.match(args, /-ngl 33 /);
  // nvidia-smi numbers GPUs in PCI bus order; CUDA does so only when told.
  assert.deepEqual(head?.env, { CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
  assert.deepEqual(workers.find((w) => w.name === 'rpc-1')?.env, { CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: '0' });
  assert.deepEqual(workers.find((w) => w.name === 'rpc-2')?.env, {});
});

test('llama.cpp: rpc-servers bind loopback, tunnels carry one port each, the head starts last and dials the tunnels', () => {
  const workers = ENGINES['llama.cpp'].workers(layout([stage(0, 'a', 0, 1), stage(1, 'b', 1, 1), stage(2, 'c', 2, 2, true)]));
  assert.deepEqual(
    workers.map((w) => `${w.name}@${w.node}`),
    ['rpc-1@b', 'rpc-2@c', 'tunnel-1@a', 'tunnel-2@a', 'head@a'],
  );
  const rpc = workers[0];
  assert.deepEqual(rpc?.args, ['-H', '127.0.0.1', '-p', '50100', '-t', '1']);
  const tunnel = workers[2]?.args ?? [];
  assert.ok(tunnel.includes('127.0.0.1:50101:127.0.0.1:50100'));
  assert.ok(tunnel.includes('StrictHostKeyChecking=yes'));
  assert.equal(tunnel.at(-1), 'u@10.0.0.2');
  const head = workers[4]?.args.join(' ') ?? '';
  assert.match(head, /--rpc 127\.0\.0\.1:50101,127\.0\.0\.1:50103 --device RPC0,RPC1 -sm layer -ts 1,3/);
  assert.match(head, /-ngl 4 /);
  assert.match(head, /--host 10\.0\.0\.1 --port 8181/);
});

test('llama.cpp over lan: rpc-servers bind their own address and no tunnel is started (what it gives up is the isolation)', () => {
  const workers = ENGINES['llama.cpp'].workers(layout([stage(0, 'a', 0, 2), stage(1, 'b', 2, 2, true)], { rpcTransport: 'lan' }));
  assert.deepEqual(
    workers.map((w) => w.name),
    ['rpc-1', 'head'],
  );
  assert.deepEqual(workers[0]?.args.slice(0, 2), ['-H', '10.0.0.2']);
  assert.match(workers[1]?.args.join(' ') ?? '', /--rpc 10\.0\.0\.2:50100 --device RPC0 /);
  assert.deepEqual(ENGINES['llama.cpp'].portsNeeded(layout([]).stages, 'lan'), []);
});

test('a stage on the head host needs no tunnel', () => {
  const stages = [stage(0, 'a', 0, 2), { ...stage(1, 'a', 2, 2, true), address: '10.0.0.1' }];
  assert.deepEqual(ENGINES['llama.cpp'].portsNeeded(stages, 'ssh'), [{ key: 'rpc-1', node: 'a' }]);
  assert.match(ENGINES['llama.cpp'].workers(layout(stages)).at(-1)?.args.join(' ') ?? '', /--rpc 127\.0\.0\.1:50100 /);
});

test("vLLM: pipeline parallel over Ray with the plan's uneven split; one host runs without Ray", () => {
  const workers = ENGINES.vllm.workers(layout([stage(0, 'a', 0, 1), stage(1, 'b', 1, 3, true)]));
  assert.deepEqual(
    workers.map((w) => w.name),
    ['ray-head', 'ray-1', 'head'],
  );
  assert.deepEqual(workers[1]?.args.slice(0, 4), ['start', '--block', '--address', '10.0.0.1:6379']);
  const head = workers[2];
  assert.match(head?.args.join(' ') ?? '', /--pipeline-parallel-size 2 --tensor-parallel-size 1 --distributed-executor-backend ray/);
  assert.equal(head?.env.VLLM_PP_LAYER_PARTITION, '1,3');
  assert.deepEqual(
    ENGINES.vllm.workers(layout([stage(0, 'a', 0, 4, true)])).map((w) => w.name),
    ['head'],
  );
});

test('custom templates: hostile values stay single inert words when a real shell runs them', () => {
  const hostile = '/models/it\'s a $(touch /tmp/outpost-pwned) `id`\nrm -rf ~ ; echo "x"';
  const command = fillTemplate('printf "%s|" {model} {port}', {
    model: hostile,
    host: 'h',
    port: '1',
    stage: '0',
    firstLayer: '0',
    lastLayer: '3',
    layers: '4',
    node: 'n',
    head: 'h',
    headPort: '1',
    runDir: '/r',
  });
  const out = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
  assert.equal(out, `${hostile}|1|`);
  assert.deepEqual(unknownPlaceholders('run {model} {evil} ${HOME} {port}'), ['evil']);
  assert.throws(() => fillTemplate('{nope}', {} as never), /unknown placeholder/);
});

test('custom engine: one process per stage from the template, the head last', () => {
  const workers = ENGINES.custom.workers(layout([stage(0, 'a', 0, 2), stage(1, 'b', 2, 2, true)], { template: 'serve --layers {firstLayer}-{lastLayer} --port {port}' }));
  assert.deepEqual(
    workers.map((w) => w.name),
    ['stage-1', 'head'],
  );
  assert.deepEqual(workers[0]?.args, ['-c', "serve --layers '2'-'3' --port '7001'"]);
});
