import { capacitiesWithin, memoryCapacities, type RoleCapacity } from './capacity.js';
import { intraHopOf, stageTime, type PartitionProblem } from './partition.js';

/**
 * The smallest bottleneck any plan can reach, or null when nothing fits.
 *
 * Every plan's bottleneck is one of finitely many values (a stage time n·t + extras of some
 * device, role and n, or a hop time), and "some plan has every stage and link within T" is
 * monotone in T, so a binary search over the sorted candidates with an exact feasibility test
 * finds the optimum. Feasibility is a capacity count; why counting is exact is argued in
 * optimality.md (stages cost the same wherever they sit in the order; links are all within T
 * whenever the nodes' own hops are).
 */
export function minimalBottleneck(problem: PartitionProblem): number | null {
  const memory = problem.devices.map(memoryCapacities);
  const candidates = candidateTimes(problem, memory);
  let lo = 0;
  let hi = candidates.length - 1;
  if (hi < 0) return null;
  const top = candidates[hi];
  if (top === undefined || !feasibleWithin(problem, memory, top)) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (feasibleWithin(problem, memory, candidates[mid] ?? Number.POSITIVE_INFINITY)) hi = mid;
    else lo = mid + 1;
  }
  return candidates[lo] ?? null;
}

function candidateTimes(problem: PartitionProblem, memory: readonly RoleCapacity[]): Float64Array {
  const values: number[] = [];
  const seen = new Set<string>();
  const L = problem.layers;
  problem.devices.forEach((device, i) => {
    const caps = memory[i];
    if (caps === undefined) return;
    // Identical devices contribute identical candidates; one copy is enough.
    const key = `${device.layerTime}|${device.firstTime}|${device.lastTime}|${caps.only}|${caps.first}|${caps.middle}|${caps.last}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (caps.only >= L) values.push(stageTime(device, L, 'only'));
    for (const role of ['first', 'middle', 'last'] as const) {
      const most = Math.min(caps[role], L - 1);
      for (let n = 1; n <= most; n++) values.push(stageTime(device, n, role));
    }
  });
  for (const node of problem.nodes) values.push(node.hop, intraHopOf(node));
  const sorted = Float64Array.from(values).sort();
  let unique = 0;
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i] ?? 0;
    if (i === 0 || value !== sorted[unique - 1]) sorted[unique++] = value;
  }
  return sorted.subarray(0, unique);
}

/** Is there a plan with every stage and every link at most `limit`? */
export function feasibleWithin(problem: PartitionProblem, memory: readonly RoleCapacity[], limit: number): boolean {
  const L = problem.layers;
  const caps = problem.devices.map((device, i) => capacitiesWithin(device, limit, memory[i] ?? memory[0]!));
  if (caps.some((c) => c.only >= L)) return true;
  if (L < 2) return false;
  // A multi-node plan may use every device on nodes whose own hop is within the limit
  // (a link costs the slower of its two ends, so then every link among them is within it);
  // a one-node plan needs only that node's internal link within the limit.
  const pools: number[][] = [[]];
  const perNode: number[][] = problem.nodes.map(() => []);
  problem.devices.forEach((device, i) => {
    const node = problem.nodes[device.node];
    if (node === undefined) return;
    if (node.hop <= limit) pools[0]?.push(i);
    if (intraHopOf(node) <= limit) perNode[device.node]?.push(i);
  });
  pools.push(...perNode);
  return pools.some((pool) => poolCapacity(pool, caps) >= L);
}

/**
 * Layers a pool can hold within the limit with the best choice of distinct first and last
 * devices: every other device at its middle capacity. Using a device never lowers what the
 * pool holds (capacities are non-negative), so the sum over all of them is the maximum.
 */
function poolCapacity(pool: readonly number[], caps: readonly RoleCapacity[]): number {
  let middle = 0;
  // Top two gains for each end role, kept with their devices so first and last can differ.
  const firsts: Array<{ gain: number; device: number }> = [];
  const lasts: Array<{ gain: number; device: number }> = [];
  const keepTop = (list: Array<{ gain: number; device: number }>, gain: number, device: number): void => {
    list.push({ gain, device });
    list.sort((a, b) => b.gain - a.gain);
    if (list.length > 2) list.pop();
  };
  for (const i of pool) {
    const c = caps[i];
    if (c === undefined) continue;
    middle += c.middle;
    if (c.first >= 1) keepTop(firsts, c.first - c.middle, i);
    if (c.last >= 1) keepTop(lasts, c.last - c.middle, i);
  }
  let best = Number.NEGATIVE_INFINITY;
  for (const f of firsts) for (const l of lasts) if (f.device !== l.device) best = Math.max(best, f.gain + l.gain);
  return best === Number.NEGATIVE_INFINITY ? 0 : middle + best;
}
