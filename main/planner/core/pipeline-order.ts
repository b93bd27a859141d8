import type { Partition, PartitionProblem, Role } from './partition.js';

export interface NodeUse {
  readonly node: number;
  readonly devices: Array<{ device: number; layers: number; role: Exclude<Role, 'only'> }>;
}

/**
 * Orders chosen devices into the cheapest pipeline for links (optimality.md, lemma 2):
 * each node's devices in one run (the node holding both ends in two runs), the first device
 * opening its node's run and the last closing its own; between the ends the other nodes
 * go up to the largest hop and then down, which costs Σ hops − max(end hops) + (max − min).
 */
export function pipelineOrder(problem: PartitionProblem, uses: readonly NodeUse[]): Partition {
  const hopOf = (node: number): number => problem.nodes[node]?.hop ?? 0;
  const firstUse = uses.find((u) => u.devices.some((d) => d.role === 'first'));
  const lastUse = uses.find((u) => u.devices.some((d) => d.role === 'last'));
  if (firstUse === undefined || lastUse === undefined) throw new Error('pipelineOrder: plan without both ends');
  const firstDevice = firstUse.devices.find((d) => d.role === 'first')!;
  const lastDevice = lastUse.devices.find((d) => d.role === 'last')!;
  const middles = uses.filter((u) => u !== firstUse && u !== lastUse);
  const others = (use: NodeUse) => use.devices.filter((d) => d.role === 'middle');

  const sweep = (startHop: number): NodeUse[] => {
    const up = middles.filter((u) => hopOf(u.node) > startHop).sort((a, b) => hopOf(a.node) - hopOf(b.node) || a.node - b.node);
    const down = middles.filter((u) => hopOf(u.node) <= startHop).sort((a, b) => hopOf(b.node) - hopOf(a.node) || a.node - b.node);
    return [...up, ...down];
  };

  const runs: Array<Array<{ device: number; layers: number }>> = [];
  if (firstUse === lastUse) {
    const start = [firstDevice, ...others(firstUse)];
    if (middles.length === 0) {
      runs.push([...start, lastDevice]);
    } else {
      runs.push(start, ...sweep(hopOf(firstUse.node)).map((u) => u.devices), [lastDevice]);
    }
  } else if (hopOf(firstUse.node) >= hopOf(lastUse.node)) {
    runs.push([firstDevice, ...others(firstUse)], ...sweep(hopOf(firstUse.node)).map((u) => u.devices), [...others(lastUse), lastDevice]);
  } else {
    // Walk from the last end (the larger hop) and reverse, so the same sweep argument applies.
    const fromLast = sweep(hopOf(lastUse.node)).map((u) => u.devices);
    runs.push([firstDevice, ...others(firstUse)], ...fromLast.reverse(), [...others(lastUse), lastDevice]);
  }
  const flat = runs.flat();
  return { order: flat.map((d) => d.device), counts: flat.map((d) => d.layers) };
}
