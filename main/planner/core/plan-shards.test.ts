import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../../shared/errors.js';
import { GPU_CATALOG } from './catalog-gpus.js';
import { MODEL_CATALOG, QUANTIZATIONS } from './catalog-models.js';
import { planShards } from './plan-shards.js';
import { PlanResultSchema, type PlanRequestInput } from '../../../shared/domain/planner.js';
import { pick, randomInt, seededRandom } from './seeded-random.js';

function refuses(request: PlanRequestInput, code: 'INVALID_INPUT' | 'NOT_FOUND', pattern: RegExp, hint?: RegExp): void {
  assert.throws(
    () => planShards(request),
    (error: unknown) => {
      assert.ok(error instanceof OutpostError, String(error));
      assert.equal(error.code, code);
      assert.match(error.message, pattern);
      if (hint) assert.match(error.hint ?? '', hint);
      return true;
    },
  );
}

const base: PlanRequestInput = { model: 'Llama-3.1-8B', devices: [{ gpu: 'L4' }] };

test('bad input: a specific error, nearest names for typos', () => {
  refuses({ ...base, devices: [] }, 'INVALID_INPUT', /No GPUs/);
  refuses({ ...base, context: 0 }, 'INVALID_INPUT', /Context 0 is outside 1–131072/);
  refuses({ ...base, model: 'Mistral-7B', context: 65536 }, 'INVALID_INPUT', /Context 65536 is outside 1–32768/);
  refuses({ ...base, model: 'Lama-3.1-70B' }, 'NOT_FOUND', /Unknown model "Lama-3.1-70B"/, /"Llama-3.1-70B"/);
  refuses({ ...base, devices: [{ gpu: 'A100-80' }] }, 'NOT_FOUND', /Unknown GPU "A100-80"/, /"A100-80GB"/);
  refuses({ ...base, devices: [{ gpu: 'L40' }] }, 'NOT_FOUND', /Unknown GPU/, /"L40S"/);
  refuses({ ...base, quant: 'Q4_K_X' }, 'NOT_FOUND', /Unknown quantization/, /"Q4_K_M"/);
  refuses({ ...base, devices: [{ gpu: 'CPU' }] }, 'INVALID_INPUT', /CPU device needs its RAM/);
  refuses({ ...base, parallel: 0 }, 'INVALID_INPUT', /parallel/);
});

test('a plan validates against the contract schema and carries the cost table it optimised', () => {
  const result = planShards({
    model: 'Llama-3.1-70B',
    quant: 'Q4_K_M',
    context: 8192,
    devices: [
      { gpu: 'A100-80GB', node: 'a' },
      { gpu: 'L40S', node: 'b' },
      { gpu: 'T4', node: 'b' },
      { gpu: 'Jetson-AGX-Orin-64GB', node: 'edge' },
      { gpu: 'CPU', node: 'c', memoryGB: 64 },
    ],
    nodes: [
      { name: 'a', nicGbps: 10 },
      { name: 'b', nicGbps: 10 },
    ],
  });
  PlanResultSchema.parse(result);
  assert.equal(result.feasible, true);
  if (!result.feasible) return;
  assert.equal(
    result.stages.reduce((n, s) => n + s.layerCount, 0),
    80,
  );
  assert.equal(result.stages[0]?.firstLayer, 0);
  assert.ok(result.stages.every((s) => s.memory.totalBytes <= s.memory.usableBytes));
  assert.equal(result.costTable.devices.length, 5);
  assert.ok(result.estimates.aggregateTokensPerSecond > 0 && result.estimates.ttftMs > 0);
  assert.equal(result.whatIf.length, QUANTIZATIONS.length);
  assert.ok(result.explanation.some((line) => line.startsWith('Stage 1:')));
  assert.ok(result.explanation.some((line) => line.startsWith('Limit:')));
});

test('infeasible: says what is needed, what is usable and what would fit', () => {
  const result = planShards({ model: 'Llama-3.1-70B', quant: 'Q4_K_M', context: 8192, devices: [{ gpu: 'A10G', count: 2, node: 'x' }] });
  assert.equal(result.feasible, false);
  if (result.feasible) return;
  assert.match(result.reason, /^needs \d+\.\d GB, \d+\.\d GB usable; fits with Q3_K_M/);
  assert.ok(result.needBytes > result.usableBytes);
  const byContext = planShards({ model: 'Llama-3.1-8B', quant: 'F16', context: 131072, devices: [{ gpu: 'L4' }] });
  assert.equal(byContext.feasible, false);
  if (!byContext.feasible) assert.match(byContext.reason, /or with context \d+/);
});

test('never worse than the seed greedy under the same cost model (500 random catalog sites)', () => {
  const random = seededRandom(42);
  let compared = 0;
  for (let i = 0; i < 500; i++) {
    const nodes = randomInt(random, 1, 4);
    const devices = Array.from({ length: randomInt(random, 1, 6) }, () => ({ gpu: pick(random, GPU_CATALOG).name, node: `n${randomInt(random, 1, nodes)}` }));
    const result = planShards({
      model: pick(
        random,
        MODEL_CATALOG.filter((m) => m.layers <= 80),
      ).name,
      quant: pick(random, QUANTIZATIONS).name,
      context: pick(random, [2048, 4096, 8192]),
      devices,
      whatIf: false,
    });
    if (result.baseline.status !== 'placed') continue;
    assert.equal(result.feasible, true, 'greedy placed it, so the optimiser must too');
    if (!result.feasible) continue;
    compared++;
    assert.ok(result.estimates.aggregateTokensPerSecond >= (result.baseline.aggregateTokensPerSecond ?? 0) * (1 - 1e-9));
  }
  assert.ok(compared > 50, `only ${compared} instances where greedy placed a plan`);
});

test('one sequence cannot fill a pipeline: aggregate equals one stream, never the full-pipeline figure', () => {
  const devices = [
    { gpu: 'A100-80GB', node: 'a' },
    { gpu: 'L40S', node: 'b' },
    { gpu: 'T4', node: 'c' },
  ];
  const single = planShards({ model: 'Llama-3.1-70B', quant: 'Q4_K_M', parallel: 1, devices, whatIf: false });
  const batched = planShards({ model: 'Llama-3.1-70B', quant: 'Q4_K_M', parallel: 16, devices, whatIf: false });
  assert.ok(single.feasible && batched.feasible);
  assert.ok(Math.abs(single.estimates.aggregateTokensPerSecond - single.estimates.singleStreamTokensPerSecond) < 1e-9);
  assert.ok(batched.stages.length > single.stages.length, 'with 16 sequences the extra GPUs pay off');
  assert.ok(batched.estimates.aggregateTokensPerSecond > 4 * single.estimates.aggregateTokensPerSecond);
});
