import type { CalibrationSample, DeploymentActuals, StageActual } from '../../../shared/domain/calibration.js';
import type { ShardPlan } from '../../../shared/domain/planner.js';
import type { StagePlacement } from './engines/index.js';

const MiB = 1024 * 1024;

/** The host's buffers (mapped weights, pinned staging, repacked copies) all live in the head's RAM. */
const hostDevice = (name: string): string => (/^(CPU|CUDA_Host)/.test(name) ? 'CPU' : name);

/**
 * What llama.cpp allocated per device, from its load log (printed at -lv 4 and up): the model, KV cache,
 * compute and output buffers, in bytes, by device name (CPU, CUDA0, RPC0…). Only the last load counts:
 * a log that holds a restart, or a fitting pass, prints the buffers more than once.
 */
export function loadLogBuffers(lines: readonly string[]): Map<string, number> {
  let start = -1;
  lines.forEach((line, i) => {
    if (/load_tensors: offloaded \d+\/\d+ layers/.test(line)) start = i;
  });
  const buffers = new Map<string, number>();
  if (start < 0) return buffers;
  for (const line of lines.slice(start)) {
    const match = /:\s+(\S+?)(?:\[[^\]]*\])?\s+(?:model|KV|compute|output|RS) buffer size =\s+([\d.]+) MiB/.exec(line);
    if (!match) continue;
    const device = hostDevice(match[1] as string);
    buffers.set(device, (buffers.get(device) ?? 0) + Number(match[2]) * MiB);
  }
  return buffers;
}

/** `nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits`: bytes used by GPU index. */
export function gpuMemoryUsed(text: string): Map<number, number> {
  const used = new Map<number, number>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s*,\s*([\d.]+)\s*$/.exec(line);
    if (match) used.set(Number(match[1]), Number(match[2]) * MiB);
  }
  return used;
}

export const GPU_MEMORY_QUERY = 'command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits 2>/dev/null || true';

/** llama.cpp's device for a stage: the head's GPU (CUDA<ordinal>) or its CPU, then RPC0, RPC1… in plan order. */
const deviceOf = (stage: StagePlacement, position: number): string => (position === 0 ? (stage.gpu === 'CPU' ? 'CPU' : `CUDA${stage.gpuOrdinal}`) : `RPC${position - 1}`);

export interface Measured {
  deploymentId: string;
  engine: string;
  at: string;
  plan: ShardPlan;
  stages: readonly StagePlacement[];
  /** The head's log lines; null when the engine has no load log Outpost reads. */
  headLog: readonly string[] | null;
  /** nvidia-smi's answer per node; null where the node could not be asked. */
  gpuMemory: ReadonlyMap<string, Map<number, number> | null>;
  test: { tokensPerSecond: number; ttftMs: number };
}

/**
 * The plan's estimate of what llama.cpp allocates for a stage: the runtime's own overhead is not in
 * its buffers, and a GPU head keeps the token embedding in host RAM (llama.cpp never offloads it).
 */
function comparableEstimate(stage: ShardPlan['stages'][number], position: number): number {
  const m = stage.memory;
  return m.totalBytes - m.overheadBytes - (position === 0 && stage.gpu !== 'CPU' ? m.embeddingBytes : 0);
}

/** Plan vs actual for one deployment, and the samples the planner's calibration is handed. */
export function measure(input: Measured): { actuals: Omit<DeploymentActuals, 'calibration'>; samples: Array<Omit<CalibrationSample, 'site'>> } {
  const buffers = input.headLog ? loadLogBuffers(input.headLog) : new Map<string, number>();
  const stages: StageActual[] = input.stages.map((placement, position) => {
    const planned = input.plan.stages[position] as ShardPlan['stages'][number];
    const loadLogBytes = buffers.get(deviceOf(placement, position)) ?? null;
    const smi = input.gpuMemory.get(placement.node);
    const gpuUsedBytes = placement.gpu === 'CPU' ? null : (smi?.get(placement.gpuOrdinal) ?? null);
    const notes = [
      ...(loadLogBytes === null ? [input.headLog ? "not in the head's load log" : `load log not read: ${input.engine} has none Outpost reads`] : []),
      ...(placement.gpu === 'CPU' ? ['GPU memory not measured: a CPU stage has no nvidia-smi'] : gpuUsedBytes === null ? [`GPU memory not measured: no nvidia-smi answer on ${placement.node}`] : []),
    ];
    return { index: placement.index, node: placement.node, gpu: placement.gpu, estimatedBytes: comparableEstimate(planned, position), loadLogBytes, gpuUsedBytes, note: notes.length ? notes.join('; ') : null };
  });
  const estimated = input.plan.estimates;
  const actuals = {
    measuredAt: input.at,
    tokensPerSecond: input.test.tokensPerSecond,
    estimatedTokensPerSecond: estimated.singleStreamTokensPerSecond,
    ttftMs: input.test.ttftMs,
    estimatedTtftMs: estimated.ttftMs,
    stages,
  };
  const base = { deploymentId: input.deploymentId, engine: input.engine, quant: input.plan.model.quant, at: input.at };
  const speedGiven = new Set<string>();
  const samples = stages.map((stage) => {
    // One pipeline, one speed: each kind of device in it gets the pipeline's ratio once.
    const speed = speedGiven.has(stage.gpu) ? null : { actualTokensPerSecond: input.test.tokensPerSecond, estimatedTokensPerSecond: estimated.singleStreamTokensPerSecond };
    speedGiven.add(stage.gpu);
    return { ...base, gpu: stage.gpu, memory: stage.loadLogBytes === null ? null : { actualBytes: stage.loadLogBytes, estimatedBytes: stage.estimatedBytes }, speed };
  });
  return { actuals, samples: samples.filter((s) => s.memory !== null || s.speed !== null) };
}
