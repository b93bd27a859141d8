/**
 * `npm run bench:planner`: the exact planner against the seed's greedy under one cost model,
 * on 1,000 seeded random heterogeneous sites, and the planning time at 64 GPUs × 126 layers.
 */
import { GPU_CATALOG } from '../../main/planner/core/catalog-gpus.js';
import { MODEL_CATALOG, QUANTIZATIONS } from '../../main/planner/core/catalog-models.js';
import { partitionProblem, type PlacedDevice, type SiteNode } from '../../main/planner/core/cost-model.js';
import { findGpu } from '../../main/planner/core/catalog-gpus.js';
import { findModel, findQuantization } from '../../main/planner/core/catalog-models.js';
import { profileFromCatalog } from '../../main/planner/core/model-profile.js';
import { optimisePartition } from '../../main/planner/core/optimiser.js';
import { planShards } from '../../main/planner/core/plan-shards.js';
import { formatSeedTable, seedRows } from '../../main/planner/core/seed-table.js';
import { pick, randomInt, seededRandom } from '../../main/planner/core/seeded-random.js';

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const NICS = [1, 1, 10, 25] as const;

function gainDistribution(instances: number): void {
  const random = seededRandom(20240601);
  const ratios: number[] = [];
  let greedyFailsPlannerFits = 0;
  let greedyRefused = 0;
  let greedyOverflows = 0;
  let bothFail = 0;
  let plannerFailsGreedyFits = 0;
  for (let i = 0; i < instances; i++) {
    const nodeCount = randomInt(random, 1, 6);
    const devices = Array.from({ length: randomInt(random, 2, 16) }, () => ({ gpu: pick(random, GPU_CATALOG).name, node: `n${randomInt(random, 1, nodeCount)}` }));
    const result = planShards({
      model: pick(random, MODEL_CATALOG).name,
      quant: pick(random, QUANTIZATIONS).name,
      context: pick(random, [2048, 4096, 8192, 16384]),
      parallel: pick(random, [1, 1, 4, 16]),
      devices,
      nodes: Array.from({ length: nodeCount }, (_, n) => ({ name: `n${n + 1}`, nicGbps: pick(random, NICS) })),
      whatIf: false,
    });
    const greedy = result.baseline;
    if (result.feasible && greedy.status === 'placed' && greedy.aggregateTokensPerSecond !== null) {
      ratios.push(result.estimates.aggregateTokensPerSecond / greedy.aggregateTokensPerSecond);
    } else if (result.feasible) {
      greedyFailsPlannerFits++;
      if (greedy.status === 'refused') greedyRefused++;
      else greedyOverflows++;
    } else if (greedy.status === 'placed') {
      plannerFailsGreedyFits++;
    } else {
      bothFail++;
    }
  }
  ratios.sort((a, b) => a - b);
  const worse = ratios.filter((r) => r < 1 - 1e-9).length;
  console.log(`Plan throughput ÷ seed greedy throughput, same cost model, ${instances} seeded random sites (2–16 GPUs, 1–6 nodes):`);
  console.log(`  both placed:         ${ratios.length}`);
  console.log(`  gain p10 / median / p90: ${quantile(ratios, 0.1).toFixed(2)}× / ${quantile(ratios, 0.5).toFixed(2)}× / ${quantile(ratios, 0.9).toFixed(2)}×   (min ${ratios[0]?.toFixed(2)}×, max ${ratios.at(-1)?.toFixed(2)}×)`);
  console.log(`  planner worse than greedy: ${worse} (must be 0)`);
  console.log(`  greedy cannot place, planner can: ${greedyFailsPlannerFits}  (greedy refuses ${greedyRefused}, greedy's plan overflows memory ${greedyOverflows})`);
  console.log(`  planner cannot place, greedy can: ${plannerFailsGreedyFits} (must be 0);  neither: ${bothFail}`);
  if (worse > 0 || plannerFailsGreedyFits > 0) process.exitCode = 1;
}

function largeTiming(): void {
  const random = seededRandom(64126);
  const profile = profileFromCatalog(findModel('Llama-3.1-405B'), findQuantization('Q4_K_M'));
  const nodes: SiteNode[] = Array.from({ length: 16 }, (_, i) => ({ name: `n${i}`, nicGbps: pick(random, NICS), nicLatencyMs: 0.2, intraLink: pick(random, ['pcie4', 'nvlink'] as const) }));
  const kinds = ['H100-80GB', 'A100-80GB', 'A100-40GB', 'L40S', 'L4', 'A10G', 'T4', 'RTX-4090', 'V100-32GB'];
  const devices: PlacedDevice[] = Array.from({ length: 64 }, (_, i) => ({ id: `d${i}`, gpu: findGpu(pick(random, kinds)), node: Math.floor(i / 4) }));
  const cases = [
    { objective: 'throughput', parallel: 1 },
    { objective: 'latency', parallel: 1 },
    { objective: 'throughput', parallel: 4 },
    { objective: 'throughput', parallel: 16 },
  ] as const;
  for (const { objective, parallel } of cases) {
    const problem = partitionProblem(profile, devices, nodes, { context: 8192, parallel, utilisation: 0.9, microBatch: parallel });
    // Counting stages makes parallel > 1 searches far slower; fewer runs keep the bench short.
    const runs = parallel === 1 ? 200 : 20;
    for (let i = 0; i < runs / 5; i++) optimisePartition(problem, objective, parallel); // warm the JIT as a long-lived core process would be
    const times: number[] = [];
    let stages = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const result = optimisePartition(problem, objective, parallel);
      times.push(performance.now() - t);
      stages = result?.partition.order.length ?? 0;
    }
    times.sort((a, b) => a - b);
    const target = parallel === 1 ? ' (target < 5 ms median)' : '';
    console.log(`64 GPUs × 126 layers (Llama 3.1 405B Q4_K_M, 16 nodes), objective ${objective}, parallel ${parallel}: median ${quantile(times, 0.5).toFixed(2)} ms, p90 ${quantile(times, 0.9).toFixed(2)} ms${target}, ${stages} stages`);
    if (parallel === 1 && quantile(times, 0.5) >= 5) process.exitCode = 1;
  }
  const request = {
    model: 'Llama-3.1-405B',
    quant: 'Q4_K_M',
    context: 8192,
    whatIf: false,
    devices: devices.map((d) => ({ gpu: d.gpu.name, node: nodes[d.node]!.name })),
    nodes: nodes.map((n) => ({ name: n.name, nicGbps: n.nicGbps, intraLink: n.intraLink })),
  };
  for (let i = 0; i < 10; i++) planShards(request);
  const full: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    planShards(request);
    full.push(performance.now() - t);
  }
  full.sort((a, b) => a - b);
  console.log(`  whole planShards (validation, optimiser, seed greedy, report, no what-if): median ${quantile(full, 0.5).toFixed(2)} ms`);
}

console.log('Outpost planner benchmark\n');
gainDistribution(1000);
console.log('');
largeTiming();
console.log(`\nThe seed's Llama 3.1 70B table through the planner:\n${formatSeedTable(seedRows())}`);
