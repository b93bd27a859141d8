import { minimalBottleneck } from './bottleneck-search.js';
import { minimalLatency, NO_REWARD, type LatencyOptimum, type StageReward } from './latency-dp.js';
import { evaluatePartition, type Partition, type PartitionCost, type PartitionProblem } from './partition.js';

export type Objective = 'throughput' | 'latency';

export interface OptimalPartition {
  readonly partition: Partition;
  readonly cost: PartitionCost;
}

/**
 * Seconds per round of `parallel` tokens: the pipeline serves them every bottleneck when it is
 * kept full, but `parallel` sequences fill at most min(parallel, stages) slots and one
 * circulation takes the whole latency. Aggregate tokens/s = parallel / this.
 */
export function roundSeconds(parallel: number, cost: { bottleneck: number; latency: number }, stages: number): number {
  const inFlight = Math.max(1, Math.min(parallel, stages));
  return Math.max(cost.bottleneck, cost.latency / inFlight);
}

/**
 * The exact optimum of the cost model, or null when no plan fits.
 * throughput: least round time (`roundSeconds`, i.e. most aggregate tokens/s) for `parallel`
 *   sequences; when the least-bottleneck plan is kept full that is the least bottleneck, ties
 *   by least latency.
 * latency: least latency, then (among exact ties, which the DP breaks by walk order) any.
 */
export function optimisePartition(problem: PartitionProblem, objective: Objective, parallel: number): OptimalPartition | null {
  if (objective === 'latency' || parallel === 1) {
    // One sequence: a round is one circulation, so the throughput optimum is the latency optimum.
    return checked(problem, minimalLatency(problem, Number.POSITIVE_INFINITY), NO_REWARD);
  }
  const start = leastBottleneck(problem);
  return start === null ? null : leastRoundTime(problem, parallel, start);
}

/** The least bottleneck (a full pipeline's time per round), ties by least latency; null when nothing fits. */
export function leastBottleneck(problem: PartitionProblem): OptimalPartition | null {
  const bottleneck = minimalBottleneck(problem);
  return bottleneck === null ? null : checked(problem, minimalLatency(problem, bottleneck), NO_REWARD);
}

/**
 * Descends from a plan to the least round time. A plan beats round time Y exactly when its
 * bottleneck is below Y and latency − Y·min(parallel, stages) < 0, so each step asks for the
 * least such value over plans with every stage and link below Y: negative gives a better plan
 * (the next Y), otherwise none exists. Each step strictly lowers Y over a finite set of plans.
 * optimality.md has the argument.
 */
function leastRoundTime(problem: PartitionProblem, parallel: number, start: OptimalPartition): OptimalPartition {
  let best = start;
  // Nothing has a bottleneck below the least bottleneck: a plan kept full at it is optimal.
  if (roundOf(parallel, best) <= best.cost.bottleneck) return best;
  // Successive steps need similar multipliers: each starts where the last one succeeded.
  let share = 1;
  for (;;) {
    const next = fasterPlan(problem, parallel, roundOf(parallel, best), share);
    if (next === null) return best;
    ({ plan: best, share } = next);
  }
}

/** Lagrangian probes before the exact, stage-counting DP is run. */
const MAX_PROBES = 8;

/**
 * A plan with a round time below `round`, or null when there is none. The exact question
 * (least latency − round·min(parallel, stages)) needs the DP to count stages up to `parallel`,
 * which multiplies its work by parallel + 1. Its Lagrangian relaxations do not count: for μ in
 * [0, round], latency − μ·stages − (round − μ)·parallel is at most the exact value for every
 * plan, so a minimum ≥ 0 proves there is none, and every plan a relaxation returns is a real
 * plan that may already be faster. μ = round rewards every stage (exact when the plan found has
 * at most `parallel` stages), μ = 0 none (exact with at least `parallel`); in between μ moves
 * to where the last plans with too many and too few stages tie. When that settles nothing (a
 * duality gap), the counting DP answers. `startShare` is the first μ as a share of `round`.
 */
function fasterPlan(problem: PartitionProblem, parallel: number, round: number, startShare: number): { plan: OptimalPartition; share: number } | null {
  const limit = below(round);
  let tooMany: { latency: number; stages: number } | null = null;
  let tooFew: { latency: number; stages: number } | null = null;
  let mu = round * startShare;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const reward: StageReward = { perStage: mu, stages: Number.POSITIVE_INFINITY };
    const found = minimalLatency(problem, limit, reward);
    if (found === null || found.value - (round - mu) * parallel >= 0) return null;
    const plan = checked(problem, found, reward)!;
    if (roundOf(parallel, plan) < round) return { plan, share: mu / round };
    const side = { latency: plan.cost.latency, stages: plan.partition.order.length };
    if (side.stages > parallel) tooMany = side;
    else tooFew = side;
    const next = tooMany === null ? round : tooFew === null ? 0 : (tooMany.latency - tooFew.latency) / (tooMany.stages - tooFew.stages);
    if (next === mu) break;
    mu = next;
  }
  const exact: StageReward = { perStage: round, stages: parallel };
  const plan = checked(problem, minimalLatency(problem, limit, exact), exact);
  return plan !== null && roundOf(parallel, plan) < round ? { plan, share: mu / round } : null;
}

const roundOf = (parallel: number, plan: OptimalPartition): number => roundSeconds(parallel, plan.cost, plan.partition.order.length);

/** The largest double below `value` (value > 0): "strictly below" as a limit the DP can take. */
function below(value: number): number {
  const bits = new Float64Array([value]);
  const raw = new BigInt64Array(bits.buffer);
  raw[0] = raw[0]! - 1n;
  return bits[0]!;
}

/**
 * The DP and the evaluator are two derivations of one cost model; if they ever disagree the
 * plan must not be shown as optimal.
 */
function checked(problem: PartitionProblem, found: LatencyOptimum | null, reward: StageReward): OptimalPartition | null {
  if (found === null) return null;
  const cost = evaluatePartition(problem, found.partition);
  const earned = reward.perStage * Math.min(found.partition.order.length, reward.stages);
  const latency = found.value + earned;
  if (cost === null || Math.abs(cost.latency - latency) > 1e-9 * Math.max(1, Math.abs(cost.latency), Math.abs(earned))) {
    throw new Error(`optimiser inconsistency: DP latency ${latency}, plan ${JSON.stringify(cost)}`);
  }
  return { partition: found.partition, cost };
}
