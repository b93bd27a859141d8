import type { DeviceCost, NodeLink, PartitionProblem } from './partition.js';
import { pick, randomInt } from './seeded-random.js';

/**
 * Random abstract instances for the exactness tests. Half use small integers so that many
 * plans tie exactly (the tie-break is then really exercised); half use continuous values.
 */
export function randomProblem(random: () => number, maxDevices: number, maxLayers: number): PartitionProblem {
  const integral = random() < 0.5;
  const value = (lo: number, hi: number): number => (integral ? randomInt(random, lo, hi) : lo + random() * (hi - lo));
  const layers = randomInt(random, 1, maxLayers);
  const deviceCount = randomInt(random, 1, maxDevices);
  const nodeCount = randomInt(random, 1, deviceCount);
  const nodes: NodeLink[] = Array.from({ length: nodeCount }, () => {
    const hop = integral ? pick(random, [0, 1, 2, 3, 5]) : random() * 4;
    return { hop, intraHop: random() < 0.3 ? hop + 1 : Math.min(hop, value(0, 2)) };
  });
  const layerBytes = randomInt(random, 1, 4);
  const devices: DeviceCost[] = Array.from({ length: deviceCount }, () => {
    // Capacity around what a fair share of the layers needs, so memory often binds.
    const share = Math.ceil((layers * layerBytes) / deviceCount);
    return {
      node: randomInt(random, 0, nodeCount - 1),
      layerTime: value(1, 6),
      firstTime: random() < 0.5 ? 0 : value(0, 4),
      lastTime: random() < 0.3 ? 0 : value(0, 6),
      usableBytes: randomInt(random, 2, 2 + 2 * share + 6),
      fixedBytes: randomInt(random, 0, 2),
      layerBytes,
      firstBytes: randomInt(random, 0, 3),
      lastBytes: randomInt(random, 0, 4),
    };
  });
  return { layers, devices, nodes };
}
