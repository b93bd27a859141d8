import { z } from 'zod';

/**
 * Plan vs actual: what a launch measured against what its plan estimated, and the calibration the planner
 * derives from it per (GPU catalog name or CPU, engine, quantisation). Factors are actual / estimated.
 */

/** A factor further than this from 1 (either way) is absurd: the sample or record saying it is refused. */
export const CALIBRATION_MAX_RATIO = 10;

const factor = z.number().positive().finite();
const Iso = z.string().min(1).max(40);

export const CalibrationKeySchema = z
  .object({
    /** The plan's device name: a catalog GPU ("A100-80GB", "H100-80GB/3g.40gb") or "CPU". */
    gpu: z.string().min(1).max(100),
    engine: z.string().min(1).max(40),
    quant: z.string().min(1).max(40),
  })
  .strict();
export type CalibrationKey = z.infer<typeof CalibrationKeySchema>;

export const CalibrationProvenanceSchema = z
  .object({
    deploymentId: z.string().min(1).max(100),
    site: z.string().min(1).max(100),
    at: Iso,
    memoryRatio: factor.nullable(),
    speedRatio: factor.nullable(),
  })
  .strict();

export const CalibrationRecordSchema = CalibrationKeySchema.extend({
  /** actual / estimated bytes of a stage on this device (weights, KV cache, buffers); null until measured. */
  memoryFactor: factor.nullable(),
  memorySamples: z.number().int().min(0),
  /** actual / estimated single-stream tokens/s of pipelines with a stage on this device; null until measured. */
  speedFactor: factor.nullable(),
  speedSamples: z.number().int().min(0),
  /** When the newest sample was measured. */
  measuredAt: Iso,
  /** The newest samples behind the factors (at most 20). */
  provenance: z.array(CalibrationProvenanceSchema).max(20),
}).strict();
export type CalibrationRecord = z.infer<typeof CalibrationRecordSchema>;

/** A calibration as HQ releases it (`outpost release calibration set <file.json>`) and as a site reports it. */
export const CalibrationSetSchema = z.object({ records: z.array(CalibrationRecordSchema).max(10_000) }).strict();
export type CalibrationSet = z.infer<typeof CalibrationSetSchema>;

export const CALIBRATION_ORIGINS = ['site', 'hq'] as const;
export const StoredCalibrationSchema = CalibrationRecordSchema.extend({ origin: z.enum(CALIBRATION_ORIGINS) });
export type StoredCalibration = z.infer<typeof StoredCalibrationSchema>;

/** One measurement a deployment hands the planner. */
export interface CalibrationSample extends CalibrationKey {
  deploymentId: string;
  site: string;
  at: string;
  memory: { actualBytes: number; estimatedBytes: number } | null;
  speed: { actualTokensPerSecond: number; estimatedTokensPerSecond: number } | null;
}

export const RejectedSampleSchema = CalibrationKeySchema.extend({
  what: z.enum(['memory', 'speed']),
  reason: z.string(),
}).strict();
export type RejectedSample = z.infer<typeof RejectedSampleSchema>;

export const CalibrationVerdictSchema = z.object({
  accepted: z.array(CalibrationKeySchema.extend({ what: z.enum(['memory', 'speed']), ratio: z.number() }).strict()),
  rejected: z.array(RejectedSampleSchema),
});
export type CalibrationVerdict = z.infer<typeof CalibrationVerdictSchema>;

/** What a plan applied, and from where: in the plan's JSON and its explanation. */
export const AppliedCalibrationSchema = CalibrationKeySchema.extend({
  memoryFactor: z.number(),
  speedFactor: z.number(),
  samples: z.number().int(),
  origin: z.enum(CALIBRATION_ORIGINS),
  measuredAt: z.string(),
  /** The newest sample's deployment and site. */
  from: z.string(),
}).strict();
export type AppliedCalibration = z.infer<typeof AppliedCalibrationSchema>;

export const StageActualSchema = z.object({
  index: z.number().int(),
  node: z.string(),
  gpu: z.string(),
  /** The plan's estimate of what llama.cpp allocates for the stage (weights, KV cache, compute and output buffers). */
  estimatedBytes: z.number(),
  /** The same, from the head's load log; null when the log did not say. */
  loadLogBytes: z.number().nullable(),
  /** nvidia-smi's memory.used of the stage's GPU (every process on it); null when not measured. */
  gpuUsedBytes: z.number().nullable(),
  /** Why a figure is missing ("not measured: a CPU stage has no nvidia-smi"). */
  note: z.string().nullable(),
});

export const DeploymentActualsSchema = z.object({
  measuredAt: z.string(),
  tokensPerSecond: z.number().nullable(),
  estimatedTokensPerSecond: z.number().nullable(),
  /** The test prompt's time to first token (a short prompt; the plan's estimate is for 512 tokens). */
  ttftMs: z.number().nullable(),
  estimatedTtftMs: z.number().nullable(),
  stages: z.array(StageActualSchema),
  calibration: CalibrationVerdictSchema,
});
export type DeploymentActuals = z.infer<typeof DeploymentActualsSchema>;
export type StageActual = z.infer<typeof StageActualSchema>;

export const calibrationName = (key: CalibrationKey): string => `${key.gpu} ${key.engine} ${key.quant}`;

/** A factor as a record or an HQ file states it: refused by name when absurd. */
export function factorProblem(record: CalibrationRecord): string | null {
  for (const [what, value] of [
    ['memoryFactor', record.memoryFactor],
    ['speedFactor', record.speedFactor],
  ] as const) {
    if (value === null) continue;
    if (!Number.isFinite(value) || value <= 0 || value > CALIBRATION_MAX_RATIO || value < 1 / CALIBRATION_MAX_RATIO) {
      return `${calibrationName(record)}: ${what} ${value} is outside 1/${CALIBRATION_MAX_RATIO}–${CALIBRATION_MAX_RATIO}×`;
    }
  }
  if (record.memoryFactor === null && record.speedFactor === null) return `${calibrationName(record)}: names neither a memory nor a speed factor`;
  return null;
}
