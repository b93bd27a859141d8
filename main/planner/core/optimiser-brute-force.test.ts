import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bruteForcePlans, bruteRoundMs, judgePlan, type BrutePlan } from '../../../test/helpers/plan-brute-force.js';
import { seededRandom, type SeededRandom } from '../../../test/helpers/seeded-random.js';
import type { CostTable } from '../../../shared/domain/planner.js';
import { optimisePartition } from './optimiser.js';
import type { PartitionProblem } from './partition.js';
import { planShards } from './plan-shards.js';

const PARALLELS = [1, 2, 4, 8, 16, 32] as const;
const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * A random cost table as a plan's JSON would carry it: up to 5 devices, often several on one
 * node; half the instances in small integers so that many plans tie exactly.
 */
function randomTable(random: SeededRandom): CostTable {
  const integral = random.chance(0.5);
  const uniform = (): number => random.next() / 0x1_0000_0000;
  const value = (lo: number, hi: number): number => (integral ? lo + random.below(hi - lo + 1) : lo + uniform() * (hi - lo));
  const layers = 1 + random.below(10);
  const deviceCount = 1 + random.below(5);
  const nodeCount = 1 + random.below(deviceCount);
  const nodes = Array.from({ length: nodeCount }, (_, i) => {
    const hopMs = integral ? random.pick([0, 1, 2, 3, 5]) : uniform() * 4;
    // A plan's table carries the internal link already clamped to the NIC (never slower).
    return { node: `n${i}`, nicGbps: 1, hopMs, intraHopMs: Math.min(hopMs, value(0, 2)), intraLink: 'pcie4' as const };
  });
  const layerBytes = 1 + random.below(4);
  const share = Math.ceil((layers * layerBytes) / deviceCount);
  const devices = Array.from({ length: deviceCount }, (_, i) => ({
    deviceId: `d${i}`,
    gpu: 'random',
    node: `n${random.below(nodeCount)}`,
    layerMs: value(1, 6),
    firstExtraMs: random.chance(0.5) ? 0 : value(0, 4),
    lastExtraMs: random.chance(0.3) ? 0 : value(0, 6),
    layerBytes,
    fixedBytes: random.below(3),
    firstExtraBytes: random.below(4),
    lastExtraBytes: random.below(5),
    usableBytes: 2 + random.below(2 * share + 7),
    maxLayers: { only: 0, first: 0, middle: 0, last: 0 }, // the rules never read it
  }));
  return { layers, microBatch: 1, devices, nodes, rules: [] };
}

/** The optimiser's input from the table: the same figures, in the table's units. */
function problemOf(table: CostTable): PartitionProblem {
  const nodeIndex = new Map(table.nodes.map((n, i) => [n.node, i]));
  return {
    layers: table.layers,
    devices: table.devices.map((d) => ({
      node: nodeIndex.get(d.node)!,
      layerTime: d.layerMs,
      firstTime: d.firstExtraMs,
      lastTime: d.lastExtraMs,
      usableBytes: d.usableBytes,
      fixedBytes: d.fixedBytes,
      layerBytes: d.layerBytes,
      firstBytes: d.firstExtraBytes,
      lastBytes: d.lastExtraBytes,
    })),
    nodes: table.nodes.map((n) => ({ hop: n.hopMs, intraHop: n.intraHopMs })),
  };
}

function optimiserPlan(table: CostTable, objective: 'throughput' | 'latency', parallel: number): BrutePlan | null | 'overflows' {
  const found = optimisePartition(problemOf(table), objective, parallel);
  if (found === null) return null;
  const judged = judgePlan(
    table,
    found.partition.order.map((i) => table.devices[i]!.deviceId),
    found.partition.counts,
  );
  return judged ?? 'overflows';
}

function disagreements(seed: number): string[] {
  const table = randomTable(seededRandom(seed));
  const brute = bruteForcePlans(table, PARALLELS);
  const out: string[] = [];
  const check = (label: string, mine: BrutePlan | null | 'overflows', best: BrutePlan | null, valueOf: (plan: BrutePlan) => number): void => {
    if (mine === 'overflows') out.push(`seed ${seed} ${label}: the optimiser's plan breaks the rules`);
    else if ((mine === null) !== (best === null)) out.push(`seed ${seed} ${label}: optimiser ${mine === null ? 'finds nothing' : 'finds a plan'}, brute force ${best === null ? 'finds nothing' : 'finds a plan'}`);
    else if (mine !== null && best !== null && !same(valueOf(mine), valueOf(best))) {
      out.push(`seed ${seed} ${label}: optimiser ${valueOf(mine)} (${mine.order.join(',')} × ${mine.counts.join(',')}), brute force ${valueOf(best)} (${best.order.join(',')} × ${best.counts.join(',')})`);
    }
  };
  check('latency', optimiserPlan(table, 'latency', 1), brute.latency, (plan) => plan.latencyMs);
  for (const parallel of PARALLELS) {
    check(`throughput, parallel ${parallel}`, optimiserPlan(table, 'throughput', parallel), brute.throughput.get(parallel)?.plan ?? null, (plan) => bruteRoundMs(parallel, plan));
  }
  return out;
}

test('both objectives at parallel 1, 2, 4, 8, 16 and 32 equal an independent brute force over every ordered subset and split (≤5 devices, ≤10 layers, 4,000 seeded tables)', () => {
  const failures: string[] = [];
  for (let seed = 1; seed <= 4000; seed++) failures.push(...disagreements(seed));
  assert.deepEqual(failures.slice(0, 5), []);
});

/** The cases, re-checked by brute force over the plan's own cost table. */
for (const [parallel, figure, digits] of [
  [16, '861', 0],
  [4, '266.1', 1],
] as const) {
  test(`llama-3.1-70b Q4_K_M on A100-80GB, L40S, T4, A10G, context 4096, parallel ${parallel}: ${figure} tokens/s, the brute force's optimum`, () => {
    const plan = planShards({ model: 'llama-3.1-70b', quant: 'Q4_K_M', context: 4096, parallel, devices: ['A100-80GB', 'L40S', 'T4', 'A10G'].map((gpu) => ({ gpu })), whatIf: false });
    assert.ok(plan.feasible);
    const best = bruteForcePlans(plan.costTable, [parallel]).throughput.get(parallel);
    assert.ok(best);
    const bruteTokensPerSecond = (parallel * 1000) / best.roundMs;
    assert.ok(same(plan.estimates.aggregateTokensPerSecond, bruteTokensPerSecond), `plan ${plan.estimates.aggregateTokensPerSecond}, brute force ${bruteTokensPerSecond}`);
    assert.equal(plan.estimates.aggregateTokensPerSecond.toFixed(digits), figure);
    const mine = judgePlan(
      plan.costTable,
      plan.stages.map((s) => s.deviceId),
      plan.stages.map((s) => s.layerCount),
    );
    assert.ok(mine !== null && same(bruteRoundMs(parallel, mine), best.roundMs));
  });
}
