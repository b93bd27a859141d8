import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exhaustiveOptimum } from './exhaustive-search.js';
import { leastBottleneck, optimisePartition, type Objective } from './optimiser.js';
import { evaluatePartition } from './partition.js';
import { randomProblem } from './random-problems.js';
import { seededRandom } from './seeded-random.js';

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function compare(seed: number, objective: Objective, maxDevices: number, maxLayers: number, splits: 'enumerate' | 'per-order-dp'): string | null {
  const problem = randomProblem(seededRandom(seed), maxDevices, maxLayers);
  // 'throughput' here is its full-pipeline form (least bottleneck, ties by latency); every
  // parallel count is checked against an independent brute force in optimiser-brute-force.test.ts.
  const found = objective === 'throughput' ? leastBottleneck(problem) : optimisePartition(problem, 'latency', 1);
  const reference = exhaustiveOptimum(problem, objective, splits);
  if ((found === null) !== (reference === null)) {
    return `seed ${seed}: optimiser ${found === null ? 'found nothing' : 'found a plan'}, exhaustive ${reference === null ? 'found nothing' : 'found a plan'}`;
  }
  if (found === null || reference === null) return null;
  const again = evaluatePartition(problem, found.partition);
  if (again === null) return `seed ${seed}: optimiser plan does not fit`;
  if (objective === 'throughput') {
    if (reference.bottleneck < found.cost.bottleneck && !close(reference.bottleneck, found.cost.bottleneck)) {
      return `seed ${seed}: exhaustive bottleneck ${reference.bottleneck} < ${found.cost.bottleneck}`;
    }
    if (close(reference.bottleneck, found.cost.bottleneck) && reference.latency < found.cost.latency && !close(reference.latency, found.cost.latency)) {
      return `seed ${seed}: same bottleneck, exhaustive latency ${reference.latency} < ${found.cost.latency} ${JSON.stringify(reference.partition)} vs ${JSON.stringify(found.partition)}`;
    }
  } else if (reference.latency < found.cost.latency && !close(reference.latency, found.cost.latency)) {
    return `seed ${seed}: exhaustive latency ${reference.latency} < ${found.cost.latency} ${JSON.stringify(reference.partition)} vs ${JSON.stringify(found.partition)}`;
  }
  return null;
}

for (const objective of ['throughput', 'latency'] as const) {
  test(`${objective}: equals brute force over every subset, order and split (≤4 devices, ≤10 layers, 1,500 seeds)`, () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 1500; seed++) {
      const failure = compare(seed, objective, 4, 10, 'enumerate');
      if (failure !== null) failures.push(failure);
    }
    assert.deepEqual(failures.slice(0, 5), []);
  });

  test(`${objective}: equals exhaustive search over every subset and order (≤6 devices, ≤24 layers, 2,000 seeds)`, () => {
    const failures: string[] = [];
    for (let seed = 100_001; seed <= 102_000; seed++) {
      const failure = compare(seed, objective, 6, 24, 'per-order-dp');
      if (failure !== null) failures.push(failure);
    }
    assert.deepEqual(failures.slice(0, 5), []);
  });
}
