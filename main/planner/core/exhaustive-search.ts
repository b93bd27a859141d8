import { bottleneckOf, evaluatePartition, latencyOf, linkTime, roleAt, stageBytes, stageTime, type Partition, type PartitionProblem } from './partition.js';

/**
 * Reference search for tests: every subset of devices in every order, and for each order every
 * split (enumerated outright, or for larger instances by a per-order DP over layer boundaries
 * that shares nothing with the optimiser). Exponential on purpose; small instances only.
 */
export interface ExhaustiveOptimum {
  readonly bottleneck: number;
  readonly latency: number;
  readonly partition: Partition;
}

export function exhaustiveOptimum(problem: PartitionProblem, objective: 'throughput' | 'latency', splits: 'enumerate' | 'per-order-dp'): ExhaustiveOptimum | null {
  const orders = allOrders(problem.devices.length);
  if (objective === 'latency') return bestOver(problem, orders, Number.POSITIVE_INFINITY, splits);
  // Two passes: the least bottleneck over everything, then the least latency within it.
  let bottleneck = Number.POSITIVE_INFINITY;
  for (const order of orders) {
    const b = splits === 'enumerate' ? minBottleneckByEnumeration(problem, order) : minBottleneckByDp(problem, order);
    bottleneck = Math.min(bottleneck, b);
  }
  if (bottleneck === Number.POSITIVE_INFINITY) return null;
  return bestOver(problem, orders, bottleneck, splits);
}

function bestOver(problem: PartitionProblem, orders: number[][], limit: number, splits: 'enumerate' | 'per-order-dp'): ExhaustiveOptimum | null {
  let best: ExhaustiveOptimum | null = null;
  for (const order of orders) {
    const found = splits === 'enumerate' ? minLatencyByEnumeration(problem, order, limit) : minLatencyByDp(problem, order, limit);
    if (found !== null && (best === null || found.latency < best.latency)) best = found;
  }
  return best;
}

function allOrders(n: number): number[][] {
  const out: number[][] = [];
  const walk = (prefix: number[], used: boolean[]): void => {
    if (prefix.length > 0) out.push([...prefix]);
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      used[i] = true;
      prefix.push(i);
      walk(prefix, used);
      prefix.pop();
      used[i] = false;
    }
  };
  walk(
    [],
    Array.from({ length: n }, () => false),
  );
  return out;
}

function forEachSplit(total: number, parts: number, visit: (counts: number[]) => void): void {
  const counts: number[] = [];
  const walk = (left: number, slots: number): void => {
    if (slots === 1) {
      counts.push(left);
      visit(counts);
      counts.pop();
      return;
    }
    for (let c = 1; c <= left - (slots - 1); c++) {
      counts.push(c);
      walk(left - c, slots - 1);
      counts.pop();
    }
  };
  if (parts <= total) walk(total, parts);
}

function minBottleneckByEnumeration(problem: PartitionProblem, order: number[]): number {
  let best = Number.POSITIVE_INFINITY;
  forEachSplit(problem.layers, order.length, (counts) => {
    const cost = evaluatePartition(problem, { order, counts });
    if (cost !== null) best = Math.min(best, cost.bottleneck);
  });
  return best;
}

function minLatencyByEnumeration(problem: PartitionProblem, order: number[], limit: number): ExhaustiveOptimum | null {
  let best: ExhaustiveOptimum | null = null;
  forEachSplit(problem.layers, order.length, (counts) => {
    const cost = evaluatePartition(problem, { order, counts });
    if (cost === null || cost.bottleneck > limit) return;
    if (best === null || cost.latency < best.latency) best = { bottleneck: cost.bottleneck, latency: cost.latency, partition: { order, counts: [...counts] } };
  });
  return best;
}

/** Per-stage table for a fixed order: stage time of taking n layers at position i, or Infinity. */
function stageTable(problem: PartitionProblem, order: number[]): number[][] {
  return order.map((deviceIndex, i) => {
    const device = problem.devices[deviceIndex]!;
    const role = roleAt(i, order.length);
    const row: number[] = [Number.POSITIVE_INFINITY];
    for (let n = 1; n <= problem.layers; n++) {
      row.push(stageBytes(device, n, role) <= device.usableBytes ? stageTime(device, n, role) : Number.POSITIVE_INFINITY);
    }
    return row;
  });
}

function linksOf(problem: PartitionProblem, order: number[]): number[] {
  return order.slice(1).map((d, i) => linkTime(problem, order[i]!, d));
}

function minBottleneckByDp(problem: PartitionProblem, order: number[]): number {
  const table = stageTable(problem, order);
  const L = problem.layers;
  let reach = new Array<number>(L + 1).fill(Number.POSITIVE_INFINITY);
  reach[0] = Number.NEGATIVE_INFINITY;
  for (const row of table) {
    const next = new Array<number>(L + 1).fill(Number.POSITIVE_INFINITY);
    for (let done = 0; done < L; done++) {
      const before = reach[done]!;
      if (before === Number.POSITIVE_INFINITY) continue;
      for (let n = 1; done + n <= L; n++) next[done + n] = Math.min(next[done + n]!, Math.max(before, row[n]!));
    }
    reach = next;
  }
  const links = linksOf(problem, order);
  return Math.max(reach[L]!, ...links);
}

function minLatencyByDp(problem: PartitionProblem, order: number[], limit: number): ExhaustiveOptimum | null {
  const links = linksOf(problem, order);
  if (links.some((t) => t > limit)) return null;
  const table = stageTable(problem, order);
  const L = problem.layers;
  let best = new Array<number>(L + 1).fill(Number.POSITIVE_INFINITY);
  best[0] = 0;
  const choices: number[][] = [];
  for (const row of table) {
    const next = new Array<number>(L + 1).fill(Number.POSITIVE_INFINITY);
    const choice = new Array<number>(L + 1).fill(0);
    for (let done = 0; done < L; done++) {
      if (best[done] === Number.POSITIVE_INFINITY) continue;
      for (let n = 1; done + n <= L; n++) {
        const t = row[n]!;
        if (t > limit) continue;
        const value = best[done]! + t;
        if (value < next[done + n]!) {
          next[done + n] = value;
          choice[done + n] = n;
        }
      }
    }
    choices.push(choice);
    best = next;
  }
  if (best[L] === Number.POSITIVE_INFINITY) return null;
  const counts: number[] = [];
  let at = L;
  for (let i = choices.length - 1; i >= 0; i--) {
    const n = choices[i]![at]!;
    counts.unshift(n);
    at -= n;
  }
  const stageTimes = counts.map((n, i) => table[i]![n]!);
  return { bottleneck: bottleneckOf(stageTimes, links), latency: latencyOf(stageTimes, links), partition: { order, counts } };
}
