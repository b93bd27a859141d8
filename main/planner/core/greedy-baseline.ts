import { evaluatePartition, type Partition, type PartitionCost, type PartitionProblem } from './partition.js';

export interface GreedyOutcome {
  /** placed: fits the memory model; refused: the seed's own check fails; overflows: seed places it but it does not fit. */
  readonly status: 'placed' | 'refused' | 'overflows';
  readonly partition: Partition | null;
  readonly cost: PartitionCost | null;
}

/** The seed's fill fraction of raw VRAM. */
const SEED_FILL = 0.85;

/**
 * The seed article's HeterogeneousShardPlanner, re-stated: devices by raw memory, largest first,
 * each filled with whole layers of (model size / layers) up to 85% of its memory. It ignores the
 * KV cache, the embedding and head, compute speed and the network; we judge what it produces
 * with the same cost model as the optimiser, so the comparison is like for like.
 */
export function seedGreedy(problem: PartitionProblem, memoryBytes: readonly number[], modelBytes: number): GreedyOutcome {
  const perLayer = modelBytes / problem.layers;
  const byMemory = memoryBytes.map((bytes, device) => ({ bytes, device })).sort((a, b) => b.bytes - a.bytes || a.device - b.device);
  const total = byMemory.reduce((sum, d) => sum + d.bytes * SEED_FILL, 0);
  if (total < modelBytes) return { status: 'refused', partition: null, cost: null };
  const order: number[] = [];
  const counts: number[] = [];
  let remaining = problem.layers;
  for (const { bytes, device } of byMemory) {
    const layers = Math.min(Math.floor((bytes * SEED_FILL) / perLayer), remaining);
    // The seed lists a device that got no layer; it holds nothing, so it is not a stage.
    if (layers > 0) {
      order.push(device);
      counts.push(layers);
    }
    remaining -= layers;
    if (remaining <= 0) break;
  }
  if (remaining > 0) return { status: 'refused', partition: null, cost: null };
  const partition = { order, counts };
  const cost = evaluatePartition(problem, partition);
  return cost === null ? { status: 'overflows', partition, cost: null } : { status: 'placed', partition, cost };
}
