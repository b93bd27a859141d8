import { minimalBottleneck } from './bottleneck-search.js';
import { minimalLatency } from './latency-dp.js';
import { evaluatePartition, type Partition, type PartitionCost, type PartitionProblem } from './partition.js';

export type Objective = 'throughput' | 'latency';

export interface OptimalPartition {
  readonly partition: Partition;
  readonly cost: PartitionCost;
}

/**
 * The exact optimum of the cost model, or null when no plan fits.
 * throughput: least bottleneck, then least latency among plans with that bottleneck.
 * latency: least latency, then (among exact ties, which the DP breaks by walk order) any.
 */
export function optimisePartition(problem: PartitionProblem, objective: Objective): OptimalPartition | null {
  let limit = Number.POSITIVE_INFINITY;
  if (objective === 'throughput') {
    const bottleneck = minimalBottleneck(problem);
    if (bottleneck === null) return null;
    limit = bottleneck;
  }
  const best = minimalLatency(problem, limit);
  if (best === null) return null;
  const cost = evaluatePartition(problem, best.partition);
  // The DP and the evaluator are two derivations of one cost model; if they ever disagree the
  // plan must not be shown as optimal.
  if (cost === null || Math.abs(cost.latency - best.latency) > 1e-9 * Math.max(1, Math.abs(best.latency)) || cost.bottleneck > limit) {
    throw new Error(`optimiser inconsistency: DP latency ${best.latency}, plan ${JSON.stringify(cost)}`);
  }
  return { partition: best.partition, cost };
}

/**
 * The plans on the (bottleneck, latency) Pareto frontier, from least latency to
 * least bottleneck: each step asks the exact latency DP for the best plan whose
 * bottleneck is strictly below the previous one. Bounded, so a pathological
 * frontier cannot stall planning.
 */
export function paretoFrontier(problem: PartitionProblem, maxPoints = 48): OptimalPartition[] {
  const points: OptimalPartition[] = [];
  let limit = Number.POSITIVE_INFINITY;
  while (points.length < maxPoints) {
    const next = minimalLatency(problem, limit);
    if (next === null) break;
    const cost = evaluatePartition(problem, next.partition);
    if (cost === null || cost.bottleneck >= limit) break;
    points.push({ partition: next.partition, cost });
    limit = cost.bottleneck * (1 - 1e-9);
  }
  return points;
}
