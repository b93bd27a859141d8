import { test } from 'node:test';
import assert from 'node:assert/strict';
import { twoStagePlan } from '../../../test/helpers/workers-fakes.js';
import { gpuMemoryUsed, loadLogBuffers, measure } from './actuals.js';
import type { StagePlacement } from './engines/index.js';

const MiB = 1024 * 1024;

// As llama-server (-lv 4) printed it for a CPU head and one rpc-server; a restart appends a second load.
const HEAD_LOG = [
  '0.00.009.544 I load_tensors: offloaded 5/5 layers to GPU',
  '0.00.009.547 I load_tensors:          CPU model buffer size =     9.00 MiB',
  '0.01.721.155 I load_tensors: offloaded 5/5 layers to GPU',
  '0.01.721.162 I load_tensors:   CPU_Mapped model buffer size =     0.05 MiB',
  '0.01.721.167 I load_tensors: RPC0[127.0.0.1:29555] model buffer size =     0.33 MiB',
  '0.01.722.256 I llama_context:        CPU  output buffer size =     0.01 MiB',
  '0.01.725.799 I llama_kv_cache: RPC0[127.0.0.1:29555] KV buffer size =     0.12 MiB',
  '0.01.725.800 I llama_kv_cache: size =    0.12 MiB (   256 cells,   4 layers,  4/1 seqs), K (f16):    0.06 MiB, V (f16):    0.06 MiB',
  '0.01.736.341 I sched_reserve: RPC0[127.0.0.1:29555] compute buffer size =     0.69 MiB',
  '0.01.736.357 I sched_reserve:        CPU compute buffer size =     0.26 MiB',
];

test("llama.cpp's load log gives each device's buffers of the last load, the host's under CPU", () => {
  const buffers = loadLogBuffers(HEAD_LOG);
  assert.deepEqual([...buffers.keys()].sort(), ['CPU', 'RPC0']);
  assert.ok(Math.abs((buffers.get('CPU') as number) - 0.32 * MiB) < 1);
  assert.ok(Math.abs((buffers.get('RPC0') as number) - 1.14 * MiB) < 1);
  assert.equal(loadLogBuffers(['no load here']).size, 0);
  const gpu = loadLogBuffers(['load_tensors: offloaded 33/33 layers to GPU', 'load_tensors:        CUDA0 model buffer size =  4096.00 MiB', 'load_tensors:   CUDA_Host model buffer size =   281.81 MiB']);
  assert.equal(gpu.get('CUDA0'), 4096 * MiB);
  assert.equal(gpu.get('CPU'), 281.81 * MiB);
});

test("nvidia-smi's memory.used query reads by index; anything else is not a measurement", () => {
  assert.deepEqual(
    [...gpuMemoryUsed('0, 1234\n1, 80\n')],
    [
      [0, 1234 * MiB],
      [1, 80 * MiB],
    ],
  );
  assert.equal(gpuMemoryUsed('').size, 0);
  assert.equal(gpuMemoryUsed('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.').size, 0);
});

const placement = (index: number, node: string, gpu: string, firstLayer: number): StagePlacement => ({ index, node, address: '127.0.0.1', sshPort: 22, gpu, gpuOrdinal: 0, firstLayer, lastLayer: firstLayer + 1, layerCount: 2, holdsOutput: index === 1 });

test('plan vs actual per stage: the load log against the comparable estimate, GPU memory "not measured" on a CPU stage, one speed sample per kind of device', () => {
  const plan = twoStagePlan('a', 'b');
  const { actuals, samples } = measure({
    deploymentId: 'dep-test1',
    engine: 'llama.cpp',
    at: '2026-12-05T01:00:00.000Z',
    plan,
    stages: [placement(0, 'a', 'CPU', 0), placement(1, 'b', 'CPU', 2)],
    headLog: HEAD_LOG,
    gpuMemory: new Map(),
    test: { tokensPerSecond: 30, ttftMs: 80 },
  });
  assert.equal(actuals.tokensPerSecond, 30);
  assert.equal(actuals.estimatedTokensPerSecond, plan.estimates.singleStreamTokensPerSecond);
  assert.equal(actuals.ttftMs, 80);
  const [head, member] = actuals.stages;
  assert.equal(head?.estimatedBytes, plan.stages[0]!.memory.totalBytes - plan.stages[0]!.memory.overheadBytes);
  assert.ok(head?.loadLogBytes && member?.loadLogBytes && member.loadLogBytes > head.loadLogBytes);
  assert.equal(head?.gpuUsedBytes, null);
  assert.match(head?.note ?? '', /GPU memory not measured: a CPU stage has no nvidia-smi/);
  assert.equal(samples.length, 2);
  assert.deepEqual(
    samples.map((s) => [s.gpu, s.quant, s.memory !== null, s.speed !== null]),
    [
      ['CPU', 'Q8_0', true, true],
      ['CPU', 'Q8_0', true, false],
    ],
  );
});

test('an engine without a load log Outpost reads leaves memory unmeasured, saying so, and still gives a speed sample', () => {
  const { actuals, samples } = measure({
    deploymentId: 'dep-test2',
    engine: 'custom',
    at: '2026-12-05T01:00:00.000Z',
    plan: twoStagePlan('a', 'b'),
    stages: [placement(0, 'a', 'A10G', 0), placement(1, 'b', 'A10G', 2)],
    headLog: null,
    gpuMemory: new Map([
      ['a', new Map([[0, 2048 * MiB]])],
      ['b', null],
    ]),
    test: { tokensPerSecond: 30, ttftMs: 80 },
  });
  assert.equal(actuals.stages[0]?.gpuUsedBytes, 2048 * MiB);
  assert.match(actuals.stages[1]?.note ?? '', /load log not read: custom has none Outpost reads; GPU memory not measured: no nvidia-smi answer on b/);
  assert.deepEqual(
    samples.map((s) => [s.memory, s.speed !== null]),
    [[null, true]],
  );
});
