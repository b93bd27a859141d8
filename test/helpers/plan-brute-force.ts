/**
 * An independent check of `outpost plan`: every ordered subset of the devices and every split of
 * the layers among them, judged by the rules a plan's JSON carries (`costTable.rules`), read from
 * the cost table alone. It shares no code with the optimiser on purpose; exponential, so small
 * tables only.
 */
import type { CostTable } from '../../shared/domain/planner.js';

export interface BrutePlan {
  /** Device ids in pipeline order and each one's layer count. */
  readonly order: readonly string[];
  readonly counts: readonly number[];
  readonly bottleneckMs: number;
  readonly latencyMs: number;
}

export interface BruteForceOptimum {
  /** Least latency over every plan (objective latency). */
  readonly latency: BrutePlan | null;
  /** Per parallel count: the plan with the least round time (objective throughput) and that time. */
  readonly throughput: ReadonlyMap<number, { plan: BrutePlan; roundMs: number } | null>;
}

/** The rules' round time: max(bottleneck, latency / min(parallel, stages)); tokens/s = parallel / it. */
export function bruteRoundMs(parallel: number, plan: BrutePlan): number {
  return Math.max(plan.bottleneckMs, plan.latencyMs / Math.min(parallel, plan.order.length));
}

/** Stage and link times by the table's rules; a stage that overflows its device is null. */
function rulesOf(table: CostTable) {
  const devices = table.devices;
  const nodeByName = new Map(table.nodes.map((n) => [n.node, n]));
  return {
    link: (a: number, b: number): number => {
      const from = nodeByName.get(devices[a]!.node)!;
      const to = nodeByName.get(devices[b]!.node)!;
      return from.node === to.node ? from.intraHopMs : Math.max(from.hopMs, to.hopMs);
    },
    stage: (device: number, layers: number, first: boolean, last: boolean): number | null => {
      const d = devices[device]!;
      const bytes = d.fixedBytes + layers * d.layerBytes + (first ? d.firstExtraBytes : 0) + (last ? d.lastExtraBytes : 0);
      if (bytes > d.usableBytes) return null;
      return layers * d.layerMs + (first ? d.firstExtraMs : 0) + (last ? d.lastExtraMs : 0);
    },
  };
}

/** Any plan (device ids in order, layer counts) judged by the rules; null when it is not a plan that fits. */
export function judgePlan(table: CostTable, order: readonly string[], counts: readonly number[]): BrutePlan | null {
  const { link, stage } = rulesOf(table);
  const indices = order.map((id) => table.devices.findIndex((d) => d.deviceId === id));
  if (indices.some((i) => i < 0) || new Set(indices).size !== indices.length || counts.length !== indices.length) return null;
  if (counts.some((n) => !Number.isInteger(n) || n < 1) || counts.reduce((a, b) => a + b, 0) !== table.layers) return null;
  let bottleneckMs = 0;
  let latencyMs = 0;
  for (let i = 0; i < indices.length; i++) {
    const time = stage(indices[i]!, counts[i]!, i === 0, i === indices.length - 1);
    if (time === null) return null;
    const hop = i === 0 ? 0 : link(indices[i - 1]!, indices[i]!);
    bottleneckMs = Math.max(bottleneckMs, time, hop);
    latencyMs += time + hop;
  }
  return { order, counts, bottleneckMs, latencyMs };
}

export function bruteForcePlans(table: CostTable, parallels: readonly number[]): BruteForceOptimum {
  const devices = table.devices;
  const { link, stage } = rulesOf(table);
  let bestLatency: BrutePlan | null = null;
  const bestRound = new Map<number, { plan: BrutePlan; roundMs: number } | null>(parallels.map((p) => [p, null]));
  const used = new Array<boolean>(devices.length).fill(false);
  const order: number[] = [];
  const counts: number[] = [];

  const finish = (bottleneckMs: number, latencyMs: number): void => {
    const plan: BrutePlan = { order: order.map((i) => devices[i]!.deviceId), counts: [...counts], bottleneckMs, latencyMs };
    if (bestLatency === null || latencyMs < bestLatency.latencyMs) bestLatency = plan;
    for (const p of parallels) {
      const roundMs = bruteRoundMs(p, plan);
      const held = bestRound.get(p);
      if (held === null || held === undefined || roundMs < held.roundMs) bestRound.set(p, { plan, roundMs });
    }
  };

  const extend = (layersLeft: number, bottleneckMs: number, latencyMs: number): void => {
    const previous = order.at(-1);
    for (let d = 0; d < devices.length; d++) {
      if (used[d]) continue;
      const hop = previous === undefined ? 0 : link(previous, d);
      for (let n = 1; n <= layersLeft; n++) {
        const last = n === layersLeft;
        const time = stage(d, n, order.length === 0, last);
        if (time === null) continue;
        used[d] = true;
        order.push(d);
        counts.push(n);
        const b = Math.max(bottleneckMs, time, hop);
        const l = latencyMs + time + hop;
        if (last) finish(b, l);
        else extend(layersLeft - n, b, l);
        counts.pop();
        order.pop();
        used[d] = false;
      }
    }
  };
  extend(table.layers, 0, 0);
  return { latency: bestLatency, throughput: bestRound };
}
