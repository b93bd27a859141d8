import { memoryCapacities } from './capacity.js';
import { memoryFigures, memoryOf } from './cost-model.js';
import { prefillStageSeconds, type PlanNumbers, type PlanSetting } from './plan-estimate.js';
import { intraHopOf, roleAt, stageTime, type PartitionCost } from './partition.js';
import type { CostTable, Stage } from '../../../shared/domain/planner.js';

const ms = (seconds: number): number => seconds * 1000;

export function costTableOf(setting: PlanSetting, numbers: PlanNumbers): CostTable {
  const { problem } = numbers;
  return {
    layers: problem.layers,
    microBatch: numbers.workload.microBatch,
    devices: problem.devices.map((d, i) => {
      const placed = setting.devices[i]!;
      const caps = memoryCapacities(d);
      return {
        deviceId: placed.id,
        gpu: placed.gpu.name,
        node: setting.nodes[d.node]?.name ?? '?',
        layerMs: ms(d.layerTime),
        firstExtraMs: ms(d.firstTime),
        lastExtraMs: ms(d.lastTime),
        layerBytes: d.layerBytes,
        fixedBytes: d.fixedBytes,
        firstExtraBytes: d.firstBytes,
        lastExtraBytes: d.lastBytes,
        usableBytes: d.usableBytes,
        maxLayers: { only: Math.max(0, caps.only), first: Math.max(0, caps.first), middle: Math.max(0, caps.middle), last: Math.max(0, caps.last) },
      };
    }),
    nodes: problem.nodes.map((n, i) => ({
      node: setting.nodes[i]?.name ?? '?',
      nicGbps: setting.nodes[i]?.nicGbps ?? 0,
      hopMs: ms(n.hop),
      intraHopMs: ms(intraHopOf(n)),
      intraLink: setting.nodes[i]?.intraLink ?? 'pcie4',
    })),
    rules: [
      'stage time = layers × layerMs (+ firstExtraMs on the first stage, + lastExtraMs on the last)',
      'stage memory = fixedBytes + layers × layerBytes (+ firstExtraBytes first, + lastExtraBytes last) ≤ usableBytes',
      'link between stages = intraHopMs of the node when both devices share it, else the larger hopMs of the two nodes',
      'bottleneck = max over stage and link times; latency = sum of them',
      'round time = max(bottleneck, latency / min(parallel, stages)), parallel = microBatch; aggregate tokens/s = parallel / round time',
      'objective throughput: least round time (most aggregate tokens/s); objective latency: least latency',
      ...(setting.devices.some((d) => d.calibration)
        ? ["layerMs and the extras are the model's times ÷ the device's calibrated speed factor; layerBytes, the extras and fixedBytes less the runtime overhead are the model's bytes × its memory factor (see calibration)"]
        : []),
    ],
  };
}

export function stagesOf(setting: PlanSetting, numbers: PlanNumbers): Stage[] {
  const optimum = numbers.optimum;
  if (optimum === null) return [];
  const { partition, cost } = optimum;
  const figures = memoryFigures(setting.profile, numbers.workload);
  let firstLayer = 0;
  return partition.order.map((deviceIndex, i) => {
    const device = numbers.problem.devices[deviceIndex]!;
    const placed = setting.devices[deviceIndex]!;
    const layers = partition.counts[i]!;
    const role = roleAt(i, partition.order.length);
    const holdsEmbedding = role === 'first' || role === 'only';
    const holdsOutput = role === 'last' || role === 'only';
    const nextIndex = partition.order[i + 1];
    const next = nextIndex === undefined ? undefined : setting.devices[nextIndex];
    const scale = memoryOf(placed);
    const weights = layers * figures.layerWeightBytes * scale;
    const kv = layers * figures.layerKvBytes * scale;
    const compute = (figures.computeBufferBytes + (holdsOutput ? figures.logitsBufferBytes : 0)) * scale;
    const embedding = holdsEmbedding ? setting.profile.embeddingBytes * scale : 0;
    const output = holdsOutput ? setting.profile.outputBytes * scale : 0;
    const total = weights + kv + compute + placed.gpu.runtimeOverheadBytes + embedding + output;
    const caps = memoryCapacities(device);
    const limitedBy: Stage['limitedBy'] = layers >= caps[role] ? 'memory' : setting.objective === 'throughput' && stageTime(device, layers + 1, role) > cost.bottleneck ? 'bottleneck' : 'balance';
    const stage: Stage = {
      index: i,
      deviceId: placed.id,
      gpu: placed.gpu.name,
      node: setting.nodes[placed.node]?.name ?? '?',
      firstLayer,
      lastLayer: firstLayer + layers - 1,
      layerCount: layers,
      holdsEmbedding,
      holdsOutput,
      memory: {
        weightsBytes: weights,
        kvCacheBytes: kv,
        computeBufferBytes: compute,
        overheadBytes: placed.gpu.runtimeOverheadBytes,
        embeddingBytes: embedding,
        outputBytes: output,
        totalBytes: total,
        usableBytes: device.usableBytes,
        fill: total / device.usableBytes,
      },
      decodeMs: ms(cost.stageTimes[i] ?? 0),
      prefillMs: ms(prefillStageSeconds(setting.profile, placed, layers, holdsOutput)),
      hopToNextMs: next === undefined ? null : ms(cost.linkTimes[i] ?? 0),
      hopKind: next === undefined ? null : next.node === placed.node ? 'intra-node' : 'network',
      limitedBy,
    };
    firstLayer += layers;
    return stage;
  });
}

/** The slowest pipeline resource; a stage wins a tie with a link (it is the thing to upgrade first). */
export function bottleneckOfPlan(setting: PlanSetting, stages: readonly Stage[], cost: PartitionCost) {
  let stageIndex = 0;
  let kind: 'stage' | 'link' = 'stage';
  let time = -1;
  cost.stageTimes.forEach((t, i) => {
    if (t > time) [time, stageIndex] = [t, i];
  });
  cost.linkTimes.forEach((t, i) => {
    if (t > time) [time, stageIndex, kind] = [t, i, 'link'];
  });
  const stage = stages[stageIndex];
  const next = stages[stageIndex + 1];
  let description: string;
  if (kind === 'stage' && stage !== undefined) {
    description = `stage ${stageIndex + 1} (${stage.gpu} on ${stage.node}, ${stage.layerCount} layers${stage.holdsOutput ? ' + output head' : ''}) takes ${fmtMs(ms(time))} per micro-batch`;
  } else if (stage !== undefined && next !== undefined) {
    const a = setting.nodes.find((n) => n.name === stage.node);
    const b = setting.nodes.find((n) => n.name === next.node);
    description =
      stage.node === next.node
        ? `the ${a?.intraLink ?? 'pcie4'} link inside ${stage.node} takes ${fmtMs(ms(time))} per micro-batch`
        : `the network link ${stage.node} → ${next.node} (${Math.min(a?.nicGbps ?? 1, b?.nicGbps ?? 1)} Gb/s, the slower NIC) takes ${fmtMs(ms(time))} per micro-batch`;
  } else {
    description = `${fmtMs(ms(time))} per micro-batch`;
  }
  return { kind, stageIndex, timeMs: ms(time), description };
}

export function fmtMs(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 1 ? `${value.toFixed(1)} ms` : `${value.toFixed(3)} ms`;
}

export function fmtGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
