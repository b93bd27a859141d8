import { usableBytes, type GpuSpec, type IntraLink } from './catalog-gpus.js';
import type { ModelProfile } from './model-profile.js';
import type { AppliedCalibration } from '../../../shared/domain/calibration.js';
import type { DeviceCost, NodeLink, PartitionProblem } from './partition.js';

/**
 * Memory and time model. Assumptions a reviewer may want to change are named here, once.
 * Decode is memory-bound: a layer costs the larger of bytes / bandwidth and FLOPs / TFLOPS.
 */
export const ASSUMPTIONS = {
  /** llama.cpp decode typically reaches 70–85% of peak memory bandwidth. */
  bandwidthEfficiency: 0.8,
  /** Dense matmuls in prefill reach roughly half of the tensor-core peak. */
  computeEfficiency: 0.5,
  /** KV cache in F16 (llama.cpp default cache type). */
  kvBytesPerElement: 2,
  /** Activations cross a stage boundary as F32 (ggml RPC sends the tensor as computed). */
  activationBytesPerElement: 4,
  /** llama.cpp's default physical batch; sizes the compute buffer and the prompt chunk. */
  microBatchTokens: 512,
  /** Prompt length the TTFT estimate uses. */
  promptTokens: 512,
  /** Default NIC when a node has none configured: 1 GbE. */
  defaultNicGbps: 1,
  /** TCP round trip plus RPC framing on a quiet LAN. */
  defaultNicLatencyMs: 0.2,
} as const;

/** Usable one-way bandwidth (GB/s) and latency (ms) between two devices of one node. */
export const INTRA_LINKS: Record<IntraLink, { bandwidthGBs: number; latencyMs: number; source: string }> = {
  pcie3: { bandwidthGBs: 12, latencyMs: 0.01, source: 'PCIe 3.0 x16: 15.75 GB/s raw, ~12 achieved' },
  pcie4: { bandwidthGBs: 25, latencyMs: 0.01, source: 'PCIe 4.0 x16: 31.5 GB/s raw, ~25 achieved' },
  pcie5: { bandwidthGBs: 50, latencyMs: 0.01, source: 'PCIe 5.0 x16: 63 GB/s raw, ~50 achieved' },
  nvlink: { bandwidthGBs: 250, latencyMs: 0.005, source: 'NVLink 3/4: 300–450 GB/s per direction, ~250 achieved p2p' },
  unified: { bandwidthGBs: 50, latencyMs: 0.005, source: 'one memory pool: a copy within RAM' },
};

export interface PlacedDevice {
  readonly id: string;
  readonly gpu: GpuSpec;
  readonly node: number;
  /** Measured factors for this kind of device (calibration.ts): they scale its times and the bytes llama.cpp allocates. */
  readonly calibration?: AppliedCalibration | undefined;
}

/** Seconds scale by 1 / speed factor; allocated bytes (not the runtime's fixed overhead) by the memory factor. */
export const speedOf = (placed: PlacedDevice): number => placed.calibration?.speedFactor ?? 1;
export const memoryOf = (placed: PlacedDevice): number => placed.calibration?.memoryFactor ?? 1;

export interface SiteNode {
  readonly name: string;
  readonly nicGbps: number;
  readonly nicLatencyMs: number;
  readonly intraLink: IntraLink;
}

export interface Workload {
  readonly context: number;
  readonly parallel: number;
  readonly utilisation: number;
  /** Tokens per decode micro-batch: 1 for single-stream, `parallel` for the aggregate. */
  readonly microBatch: number;
}

export interface MemoryFigures {
  readonly layerWeightBytes: number;
  readonly layerKvBytes: number;
  readonly computeBufferBytes: number;
  readonly logitsBufferBytes: number;
}

export function memoryFigures(profile: ModelProfile, workload: Workload): MemoryFigures {
  const ub = ASSUMPTIONS.microBatchTokens;
  return {
    layerWeightBytes: profile.layerBytes,
    layerKvBytes: workload.context * workload.parallel * 2 * profile.kvHeads * profile.headDim * ASSUMPTIONS.kvBytesPerElement,
    // Activations of one physical batch through a block, double-buffered, with flash attention
    // (no context × context score matrix).
    computeBufferBytes: ub * (2 * profile.hiddenSize + profile.ffnHiddenSize + profile.heads * 64) * 4,
    logitsBufferBytes: ub * profile.vocabSize * 4,
  };
}

const bytesPerSecond = (gbs: number): number => gbs * 1e9;

/** Seconds for one decode micro-batch in one block on `gpu`. */
export function decodeLayerSeconds(profile: ModelProfile, gpu: GpuSpec, workload: Workload): number {
  const meanFill = workload.context / 2;
  const kvPerToken = 2 * profile.kvHeads * profile.headDim * ASSUMPTIONS.kvBytesPerElement * meanFill;
  const bytes = profile.layerActiveBytes + workload.microBatch * kvPerToken;
  const flops = workload.microBatch * (2 * profile.layerActiveParams + 4 * profile.heads * profile.headDim * meanFill);
  return Math.max(bytes / (bytesPerSecond(gpu.bandwidthGBs) * ASSUMPTIONS.bandwidthEfficiency), flops / (gpu.fp16Tflops * 1e12 * ASSUMPTIONS.computeEfficiency));
}

export function outputHeadSeconds(profile: ModelProfile, gpu: GpuSpec, tokens: number): number {
  return Math.max(profile.outputBytes / (bytesPerSecond(gpu.bandwidthGBs) * ASSUMPTIONS.bandwidthEfficiency), (tokens * 2 * profile.vocabSize * profile.hiddenSize) / (gpu.fp16Tflops * 1e12 * ASSUMPTIONS.computeEfficiency));
}

function embeddingSeconds(profile: ModelProfile, gpu: GpuSpec, tokens: number): number {
  const rowBytes = (profile.embeddingBytes / Math.max(1, profile.vocabSize)) * tokens;
  return rowBytes / (bytesPerSecond(gpu.bandwidthGBs) * ASSUMPTIONS.bandwidthEfficiency);
}

/** Seconds for a 512-token prompt through one block (compute-bound, weights read once). */
export function prefillLayerSeconds(profile: ModelProfile, gpu: GpuSpec): number {
  const n = ASSUMPTIONS.promptTokens;
  // Causal attention: each token attends to n/2 positions on average.
  const flops = n * 2 * profile.layerActiveParams + n * 4 * profile.heads * profile.headDim * (n / 2);
  return Math.max(profile.layerBytes / (bytesPerSecond(gpu.bandwidthGBs) * ASSUMPTIONS.bandwidthEfficiency), flops / (gpu.fp16Tflops * 1e12 * ASSUMPTIONS.computeEfficiency));
}

export function hopSeconds(profile: ModelProfile, tokens: number, bandwidthBytesPerSecond: number, latencyMs: number): number {
  return (tokens * profile.hiddenSize * ASSUMPTIONS.activationBytesPerElement) / bandwidthBytesPerSecond + latencyMs / 1000;
}

export function nodeLinks(profile: ModelProfile, node: SiteNode, tokens: number): NodeLink {
  const intra = INTRA_LINKS[node.intraLink];
  return {
    hop: hopSeconds(profile, tokens, (node.nicGbps * 1e9) / 8, node.nicLatencyMs),
    intraHop: hopSeconds(profile, tokens, bytesPerSecond(intra.bandwidthGBs), intra.latencyMs),
  };
}

/** The abstract problem the optimiser solves, for one workload. */
export function partitionProblem(profile: ModelProfile, devices: readonly PlacedDevice[], nodes: readonly SiteNode[], workload: Workload): PartitionProblem {
  const memory = memoryFigures(profile, workload);
  const deviceCosts: DeviceCost[] = devices.map((placed) => {
    const speed = speedOf(placed);
    const bytes = memoryOf(placed);
    return {
      node: placed.node,
      layerTime: decodeLayerSeconds(profile, placed.gpu, workload) / speed,
      firstTime: embeddingSeconds(profile, placed.gpu, workload.microBatch) / speed,
      lastTime: outputHeadSeconds(profile, placed.gpu, workload.microBatch) / speed,
      usableBytes: usableBytes(placed.gpu, workload.utilisation),
      fixedBytes: placed.gpu.runtimeOverheadBytes + memory.computeBufferBytes * bytes,
      layerBytes: (memory.layerWeightBytes + memory.layerKvBytes) * bytes,
      firstBytes: profile.embeddingBytes * bytes,
      lastBytes: (profile.outputBytes + memory.logitsBufferBytes) * bytes,
    };
  });
  return { layers: profile.layers, devices: deviceCosts, nodes: nodes.map((node) => nodeLinks(profile, node, workload.microBatch)) };
}
