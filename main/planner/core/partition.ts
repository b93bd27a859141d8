/**
 * The abstract problem the optimiser solves, stripped of GPUs and models: devices with a
 * per-layer time, memory figures and role extras, nodes with hop times. Every search
 * (exact optimiser, seed greedy, exhaustive reference) judges a plan with `evaluatePartition`,
 * so they cannot disagree about what a plan costs.
 */

export type Role = 'only' | 'first' | 'middle' | 'last';

export interface DeviceCost {
  readonly node: number;
  /** Seconds one decode micro-batch spends in one layer on this device. */
  readonly layerTime: number;
  /** Extra seconds for the first stage (embedding lookup) and the last (output head). */
  readonly firstTime: number;
  readonly lastTime: number;
  readonly usableBytes: number;
  /** Runtime overhead + compute buffer: paid once a device holds any layer. */
  readonly fixedBytes: number;
  /** Weights + KV cache of one layer. */
  readonly layerBytes: number;
  /** Embedding matrix on the first stage; output head + logits buffer on the last. */
  readonly firstBytes: number;
  readonly lastBytes: number;
}

export interface NodeLink {
  /** Seconds to move one micro-batch's activations over this node's NIC (+ latency). */
  readonly hop: number;
  /** Same between two devices of this node (PCIe/NVLink). */
  readonly intraHop: number;
}

export interface PartitionProblem {
  readonly layers: number;
  readonly devices: readonly DeviceCost[];
  readonly nodes: readonly NodeLink[];
}

/** Devices in pipeline order and how many consecutive layers each takes. */
export interface Partition {
  readonly order: readonly number[];
  readonly counts: readonly number[];
}

export interface PartitionCost {
  readonly stageTimes: readonly number[];
  readonly linkTimes: readonly number[];
  /** Slowest pipeline resource (a stage or a link): the steady-state time per micro-batch. */
  readonly bottleneck: number;
  /** One micro-batch through the whole pipeline: every stage and every link once. */
  readonly latency: number;
}

export function roleAt(index: number, stages: number): Role {
  if (stages === 1) return 'only';
  if (index === 0) return 'first';
  return index === stages - 1 ? 'last' : 'middle';
}

const holdsFirst = (role: Role): boolean => role === 'first' || role === 'only';
const holdsLast = (role: Role): boolean => role === 'last' || role === 'only';

/** The single expression every search uses, so equal plans get bit-identical times. */
export function stageTime(device: DeviceCost, layers: number, role: Role): number {
  return layers * device.layerTime + (holdsFirst(role) ? device.firstTime : 0) + (holdsLast(role) ? device.lastTime : 0);
}

export function stageBytes(device: DeviceCost, layers: number, role: Role): number {
  return device.fixedBytes + layers * device.layerBytes + (holdsFirst(role) ? device.firstBytes : 0) + (holdsLast(role) ? device.lastBytes : 0);
}

/** Most layers the device can hold in this role (may be 0 or negative: it cannot take the role). */
export function memoryCapacity(device: DeviceCost, role: Role): number {
  const room = device.usableBytes - stageBytes(device, 0, role);
  if (room < 0) return -1;
  if (device.layerBytes <= 0) return Number.MAX_SAFE_INTEGER;
  let layers = Math.floor(room / device.layerBytes);
  // Division rounds; settle on the exact integer boundary with the same expression as the check.
  while (layers > 0 && stageBytes(device, layers, role) > device.usableBytes) layers--;
  while (stageBytes(device, layers + 1, role) <= device.usableBytes) layers++;
  return layers;
}

/** A node's internal link is never charged as slower than its NIC (the optimality proof relies on it). */
export function intraHopOf(node: NodeLink): number {
  return Math.min(node.intraHop, node.hop);
}

export function linkTime(problem: PartitionProblem, from: number, to: number): number {
  const a = problem.devices[from];
  const b = problem.devices[to];
  if (a === undefined || b === undefined) throw new RangeError('device index out of range');
  const nodeA = problem.nodes[a.node];
  const nodeB = problem.nodes[b.node];
  if (nodeA === undefined || nodeB === undefined) throw new RangeError('node index out of range');
  // Across nodes the slower NIC of the two ends sets the link.
  return a.node === b.node ? intraHopOf(nodeA) : Math.max(nodeA.hop, nodeB.hop);
}

/** Costs of a plan, or null when it is malformed or does not fit in memory. */
export function evaluatePartition(problem: PartitionProblem, partition: Partition): PartitionCost | null {
  const { order, counts } = partition;
  if (order.length === 0 || order.length !== counts.length) return null;
  if (new Set(order).size !== order.length) return null;
  let layers = 0;
  const stageTimes: number[] = [];
  const linkTimes: number[] = [];
  for (let i = 0; i < order.length; i++) {
    const device = problem.devices[order[i] ?? -1];
    const count = counts[i] ?? 0;
    if (device === undefined || !Number.isInteger(count) || count < 1) return null;
    const role = roleAt(i, order.length);
    if (stageBytes(device, count, role) > device.usableBytes) return null;
    stageTimes.push(stageTime(device, count, role));
    layers += count;
    if (i > 0) linkTimes.push(linkTime(problem, order[i - 1] ?? 0, order[i] ?? 0));
  }
  if (layers !== problem.layers) return null;
  return { stageTimes, linkTimes, bottleneck: bottleneckOf(stageTimes, linkTimes), latency: latencyOf(stageTimes, linkTimes) };
}

export function bottleneckOf(stageTimes: readonly number[], linkTimes: readonly number[]): number {
  return Math.max(...stageTimes, ...linkTimes);
}

export function latencyOf(stageTimes: readonly number[], linkTimes: readonly number[]): number {
  let total = 0;
  for (const t of stageTimes) total += t;
  for (const t of linkTimes) total += t;
  return total;
}
