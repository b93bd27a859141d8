import { memoryCapacities } from './capacity.js';
import { ASSUMPTIONS, hopSeconds, INTRA_LINKS, outputHeadSeconds, partitionProblem, prefillLayerSeconds, speedOf, type PlacedDevice, type SiteNode, type Workload } from './cost-model.js';
import type { ModelProfile } from './model-profile.js';
import { optimisePartition, roundSeconds, type Objective, type OptimalPartition } from './optimiser.js';
import { evaluatePartition, type Partition, type PartitionProblem } from './partition.js';

/** One optimisation with the figures every output needs; what-ifs run this alone. */
export interface PlanNumbers {
  readonly profile: ModelProfile;
  readonly workload: Workload;
  readonly problem: PartitionProblem;
  readonly optimum: OptimalPartition | null;
  readonly aggregateTokensPerSecond: number | null;
  readonly singleStreamTokensPerSecond: number | null;
  readonly ttftMs: number | null;
}

export interface PlanSetting {
  readonly profile: ModelProfile;
  readonly devices: readonly PlacedDevice[];
  readonly nodes: readonly SiteNode[];
  readonly context: number;
  readonly parallel: number;
  readonly utilisation: number;
  readonly objective: Objective;
}

/** The exact optimum for the setting's objective and parallel count (optimality.md). */
export function planNumbers(setting: PlanSetting): PlanNumbers {
  const workload: Workload = { context: setting.context, parallel: setting.parallel, utilisation: setting.utilisation, microBatch: setting.parallel };
  const problem = partitionProblem(setting.profile, setting.devices, setting.nodes, workload);
  return numbersOf(setting, workload, problem, optimisePartition(problem, setting.objective, setting.parallel));
}

function numbersOf(setting: PlanSetting, workload: Workload, problem: PartitionProblem, optimum: OptimalPartition | null): PlanNumbers {
  if (optimum === null) {
    return { profile: setting.profile, workload, problem, optimum, aggregateTokensPerSecond: null, singleStreamTokensPerSecond: null, ttftMs: null };
  }
  return {
    profile: setting.profile,
    workload,
    problem,
    optimum,
    aggregateTokensPerSecond: aggregateTokensPerSecond(setting.parallel, optimum.cost, optimum.partition.order.length),
    singleStreamTokensPerSecond: singleStreamTokensPerSecond(setting, optimum.partition),
    ttftMs: ttftSeconds(setting, optimum.partition) * 1000,
  };
}

/**
 * Steady-state decode throughput. The bottleneck alone bounds it only when the
 * pipeline is kept full; `parallel` sequences fill at most min(parallel, stages)
 * slots, and one circulation takes the whole latency. So with one sequence a
 * three-stage pipeline is no faster than one stream — the estimate says so
 * instead of promising the full-pipeline figure. (Costs are evaluated for a
 * micro-batch of all `parallel` sequences, which overstates smaller batches:
 * the figure errs low.)
 */
export function aggregateTokensPerSecond(parallel: number, cost: { bottleneck: number; latency: number }, stages: number): number {
  return parallel / roundSeconds(parallel, cost, stages);
}

/** One sequence alone: a micro-batch of one token through every stage and link. */
export function singleStreamTokensPerSecond(setting: PlanSetting, partition: Partition): number {
  const single = partitionProblem(setting.profile, setting.devices, setting.nodes, {
    context: setting.context,
    parallel: setting.parallel,
    utilisation: setting.utilisation,
    microBatch: 1,
  });
  const cost = evaluatePartition(single, partition);
  return cost === null ? 0 : 1 / cost.latency;
}

export function prefillStageSeconds(profile: ModelProfile, device: PlacedDevice, layers: number, holdsOutput: boolean): number {
  // Only the last prompt position goes through the head to produce the first token.
  return (layers * prefillLayerSeconds(profile, device.gpu) + (holdsOutput ? outputHeadSeconds(profile, device.gpu, 1) : 0)) / speedOf(device);
}

/** Seconds to carry the whole prompt's activations from one stage to the next. */
export function prefillHopSeconds(profile: ModelProfile, nodes: readonly SiteNode[], from: PlacedDevice, to: PlacedDevice): number {
  const tokens = ASSUMPTIONS.promptTokens;
  const a = nodes[from.node];
  const b = nodes[to.node];
  if (a === undefined || b === undefined) return 0;
  const nic = (n: SiteNode): number => hopSeconds(profile, tokens, (n.nicGbps * 1e9) / 8, n.nicLatencyMs);
  if (from.node !== to.node) return Math.max(nic(a), nic(b));
  const intra = INTRA_LINKS[a.intraLink];
  return Math.min(nic(a), hopSeconds(profile, tokens, intra.bandwidthGBs * 1e9, intra.latencyMs));
}

/** Time to first token for a 512-token prompt: the prompt passes the stages one after another. */
export function ttftSeconds(setting: PlanSetting, partition: Partition): number {
  let total = 0;
  partition.order.forEach((deviceIndex, i) => {
    const device = setting.devices[deviceIndex];
    if (device === undefined) return;
    total += prefillStageSeconds(setting.profile, device, partition.counts[i] ?? 0, i === partition.order.length - 1);
    const next = setting.devices[partition.order[i + 1] ?? -1];
    if (next !== undefined) total += prefillHopSeconds(setting.profile, setting.nodes, device, next);
  });
  return total;
}

export function memoryCapsOf(problem: PartitionProblem) {
  return problem.devices.map(memoryCapacities);
}
