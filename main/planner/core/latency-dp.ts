import { capacitiesWithin, memoryCapacities, type RoleCapacity } from './capacity.js';
import { intraHopOf, stageTime, type Partition, type PartitionProblem } from './partition.js';
import { pipelineOrder, type NodeUse } from './pipeline-order.js';

/**
 * The least `latency − perStage × min(stages, rewardedStages)` (latency: the sum of stage and
 * link times) over plans whose stages and links all stay within `limit` (Infinity: no limit),
 * or null. With no reward it is the least latency. Exact; the argument is in optimality.md.
 *
 * Shape: nodes are visited in descending hop time and each device is either skipped or given
 * a role and k layers. The state after a step is
 *   (layers placed, stages so far when only some are rewarded, end roles placed,
 *    "the only end role so far is on this node", phase of the node path, "this node is in use").
 * Link costs never depend on the order the DP walks in, only on which nodes and how many
 * devices per node are used, and on the nodes of the two ends, through the closed form
 *   Σ_used nodes [hop + (k−1)·intra] + (max hop − min hop) − max(hop_first, hop_last)
 * (or −intra instead of the last term when both ends share a node): that is the cheapest
 * order of those nodes, proven in optimality.md. Each term is charged at the step that
 * decides it, so the DP is a shortest path over a DAG.
 */

const FIRST = 1;
const LAST = 2;
const PHASE_NONE = 0;
const PHASE_OPEN = 1;
const PHASE_CLOSED = 2;
const PHASE_SINGLE = 3;
const COMBOS = 64;
const combo = (mask: number, here: number, phase: number, used: number): number => ((mask * 2 + here) * 4 + phase) * 2 + used;

type RoleCode = 0 | 1 | 2; // middle, first, last
const ROLE_NAMES = ['middle', 'first', 'last'] as const;

/** A reward of `perStage` for each of the first `stages` stages (Infinity: every stage). */
export interface StageReward {
  readonly perStage: number;
  readonly stages: number;
}

export const NO_REWARD: StageReward = { perStage: 0, stages: Number.POSITIVE_INFINITY };

/** One walk step: a device (choose skip or role + layers) or a node exit (settle link terms). */
interface Step {
  readonly device: number; // -1 for a node exit
  readonly node: number;
  readonly offset: number; // into the shared parent buffer
}

export interface LatencyOptimum {
  readonly partition: Partition;
  /** Latency less the reward the plan earned. */
  readonly value: number;
}

/** Walk dimensions of one search: states per layer count and per stage-count bucket. */
interface Shape {
  readonly layers: number;
  readonly stride: number;
}

// Parent pointers for reconstruction, reused between calls: planning runs many times in a
// session (what-ifs, bench) and reallocating megabytes each time costs more than the DP.
// Counted searches on large sites can need far more; those are not kept.
const KEPT_PARENTS = 4 << 20;
let keptParents = new Int32Array(0);

export function minimalLatency(problem: PartitionProblem, limit: number, reward: StageReward = NO_REWARD, memory?: readonly RoleCapacity[]): LatencyOptimum | null {
  const L = problem.layers;
  const memCaps = memory ?? problem.devices.map(memoryCapacities);
  const caps = problem.devices.map((d, i) => capacitiesWithin(d, limit, memCaps[i]!));

  let best: LatencyOptimum | null = null;
  for (let i = 0; i < problem.devices.length; i++) {
    if (caps[i]!.only < L) continue;
    const value = stageTime(problem.devices[i]!, L, 'only') - reward.perStage;
    if (best === null || value < best.value) best = { partition: { order: [i], counts: [L] }, value };
  }
  if (L < 2) return best;

  const nodeOrder = problem.nodes.map((_, i) => i).sort((a, b) => problem.nodes[b]!.hop - problem.nodes[a]!.hop || a - b);
  const devicesOf: number[][] = problem.nodes.map(() => []);
  let usable = 0;
  problem.devices.forEach((d, i) => {
    const c = caps[i]!;
    if (c.first >= 1 || c.middle >= 1 || c.last >= 1) {
      devicesOf[d.node]!.push(i);
      usable++;
    }
  });
  // Stage counts matter only while some plan could have more stages than are rewarded.
  const counted = reward.perStage !== 0 && reward.stages < usable;
  const buckets = counted ? reward.stages + 1 : 1;
  const shape: Shape = { layers: L, stride: COMBOS * buckets };
  const size = (L + 1) * shape.stride;
  const steps: Step[] = [];
  for (const node of nodeOrder) {
    const devices = devicesOf[node]!;
    if (devices.length === 0) continue;
    for (const device of devices) steps.push({ device, node, offset: steps.length * size });
    steps.push({ device: -1, node, offset: steps.length * size });
  }
  const needed = steps.length * size;
  if (needed > keptParents.length && needed <= KEPT_PARENTS) keptParents = new Int32Array(needed);
  const parents = needed <= keptParents.length ? keptParents : new Int32Array(needed);

  let cost = new Float64Array(size).fill(Number.POSITIVE_INFINITY);
  let next = new Float64Array(size);
  cost[combo(0, 0, PHASE_NONE, 0)] = 0;
  const window = { index: new Int32Array(L + 1), value: new Float64Array(L + 1) };
  const live = new Uint8Array(shape.stride);

  for (const step of steps) {
    const node = problem.nodes[step.node]!;
    const hop = node.hop;
    const intra = intraHopOf(node);
    parents.fill(-1, step.offset, step.offset + size);
    if (step.device >= 0) {
      const device = problem.devices[step.device]!;
      const cap = caps[step.device]!;
      next.set(cost);
      live.fill(0);
      for (let state = 0; state < size; state++) if (cost[state]! !== Number.POSITIVE_INFINITY) live[state % shape.stride] = 1;
      for (let source = 0; source < shape.stride; source++) {
        if (live[source] === 0) continue;
        const bucket = Math.floor(source / COMBOS);
        const local = source % COMBOS;
        const phase = (local >> 1) & 3;
        if (phase > PHASE_OPEN) continue;
        const mask = local >> 4;
        const here = (local >> 3) & 1;
        const rewarded = !counted || bucket < buckets - 1;
        const nextBucket = counted ? Math.min(bucket + 1, buckets - 1) : 0;
        for (let role: RoleCode = 0; role <= 2; role = (role + 1) as RoleCode) {
          const bit = role === 1 ? FIRST : role === 2 ? LAST : 0;
          if (bit !== 0 && (mask & bit) !== 0) continue;
          const most = role === 0 ? cap.middle : role === 1 ? cap.first : cap.last;
          if (most < 1) continue;
          let targetHere = here;
          let charge = 0;
          if (bit !== 0) {
            // First end placed: take this node as the end with the larger hop (it is: nodes
            // come in descending hop). Second end on the same node: undo that and charge the
            // two-run shape instead, which has one intra link fewer.
            if (mask === 0) {
              targetHere = 1;
              charge = -hop;
            } else {
              targetHere = 0;
              charge = here === 1 ? hop - intra : 0;
            }
          }
          const add = stageTime(device, 0, ROLE_NAMES[role]) + intra + charge - (rewarded ? reward.perStage : 0);
          const target = nextBucket * COMBOS + combo(mask | bit, targetHere, phase, 1);
          slideWindow(cost, next, parents, step.offset, shape, source, target, device.layerTime, add, most, window);
        }
      }
    } else {
      next.fill(Number.POSITIVE_INFINITY);
      exitNode(cost, next, parents, step.offset, shape, hop, intra, limit);
    }
    const swap = cost;
    cost = next;
    next = swap;
  }

  let finalState = -1;
  let finalCost = Number.POSITIVE_INFINITY;
  for (let bucket = 0; bucket * COMBOS < shape.stride; bucket++) {
    for (const phase of [PHASE_CLOSED, PHASE_SINGLE]) {
      const state = L * shape.stride + bucket * COMBOS + combo(3, 0, phase, 0);
      if (cost[state]! < finalCost) {
        finalCost = cost[state]!;
        finalState = state;
      }
    }
  }
  if (finalState < 0) return best;
  const candidate: LatencyOptimum = { partition: rebuild(problem, steps, parents, shape, finalState), value: finalCost };
  return best === null || candidate.value < best.value ? candidate : best;
}

/** Settles a node's link terms for the states that used it, and resets the per-node flags. */
function exitNode(cost: Float64Array, out: Float64Array, parents: Int32Array, offset: number, shape: Shape, hop: number, intra: number, limit: number): void {
  const relax = (state: number, value: number, from: number): void => {
    if (value < out[state]!) {
      out[state] = value;
      parents[offset + state] = from;
    }
  };
  const base = hop - intra; // Σ hop over used nodes, and (k−1) rather than k intra links
  for (let l = 0; l <= shape.layers; l++) {
    for (let bucket = 0; bucket * COMBOS < shape.stride; bucket++) {
      const row = l * shape.stride + bucket * COMBOS;
      for (let mask = 0; mask < 4; mask++) {
        for (let phase = 0; phase < 4; phase++) {
          const resting = row + combo(mask, 0, phase, 0);
          relax(resting, cost[resting]!, -1);
          if (phase > PHASE_OPEN) continue;
          for (let here = 0; here < 2; here++) {
            const usedState = row + combo(mask, here, phase, 1);
            const value = cost[usedState]!;
            if (value === Number.POSITIVE_INFINITY) continue;
            if (phase === PHASE_NONE) {
              // The first node used has the largest hop: the "max hop" term.
              if (hop <= limit) relax(row + combo(mask, 0, PHASE_OPEN, 0), value + base + hop, usedState);
              if (mask === 3 && intra <= limit) relax(row + combo(mask, 0, PHASE_SINGLE, 0), value, usedState);
            } else if (hop <= limit) {
              relax(row + combo(mask, 0, PHASE_OPEN, 0), value + base, usedState);
              // Declaring this the last node used: the "− min hop" term.
              relax(row + combo(mask, 0, PHASE_CLOSED, 0), value + base - hop, usedState);
            }
          }
        }
      }
    }
  }
}

function slideWindow(cost: Float64Array, next: Float64Array, parents: Int32Array, offset: number, shape: Shape, source: number, target: number, tau: number, add: number, most: number, window: { index: Int32Array; value: Float64Array }): void {
  // next[l] = min over k in [1, most] of cost[l-k] + k·tau + add = min_j (cost[j] − j·tau) + l·tau + add.
  const { stride, layers: L } = shape;
  let head = 0;
  let tail = 0;
  for (let l = 1; l <= L; l++) {
    const j = l - 1;
    const raw = cost[j * stride + source]!;
    if (raw !== Number.POSITIVE_INFINITY) {
      const value = raw - j * tau;
      while (tail > head && window.value[tail - 1]! >= value) tail--;
      window.index[tail] = j;
      window.value[tail] = value;
      tail++;
    }
    while (tail > head && window.index[head]! < l - most) head++;
    if (tail === head) continue;
    const candidate = window.value[head]! + l * tau + add;
    const state = l * stride + target;
    if (candidate < next[state]!) {
      next[state] = candidate;
      parents[offset + state] = window.index[head]! * stride + source;
    }
  }
}

/** A device step's parent records only where it came from: the layers and the role follow from the two states. */
function rebuild(problem: PartitionProblem, steps: readonly Step[], parents: Int32Array, shape: Shape, finalState: number): Partition {
  const uses = new Map<number, NodeUse>();
  const maskOf = (state: number): number => ((state % shape.stride) % COMBOS) >> 4;
  let state = finalState;
  for (let s = steps.length - 1; s >= 0; s--) {
    const step = steps[s]!;
    const from = parents[step.offset + state]!;
    if (from < 0) continue;
    if (step.device >= 0) {
      const layers = Math.floor(state / shape.stride) - Math.floor(from / shape.stride);
      const added = maskOf(state) & ~maskOf(from);
      const role = added === FIRST ? 'first' : added === LAST ? 'last' : 'middle';
      const use = uses.get(step.node) ?? { node: step.node, devices: [] };
      use.devices.push({ device: step.device, layers, role });
      uses.set(step.node, use);
    }
    state = from;
  }
  return pipelineOrder(problem, [...uses.values()]);
}
