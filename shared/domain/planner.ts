import { z } from 'zod';
import { ReleaseRefSchema } from './models.js';
import { AppliedCalibrationSchema } from './calibration.js';

/**
 * The planner's request and result shapes, for shared/contract/planner.ts to import.
 * Bytes are plain numbers of bytes; times are milliseconds.
 */

export const IntraLinkSchema = z.enum(['pcie3', 'pcie4', 'pcie5', 'nvlink', 'unified']);
export const ObjectiveSchema = z.enum(['throughput', 'latency']);

export const DeviceRequestSchema = z.object({
  /** Catalog name ("A100-80GB", "Jetson-AGX-Orin-64GB") or "CPU". */
  gpu: z.string().min(1).max(100),
  /** Node (host) the device sits in; devices without one each get a node of their own. */
  node: z.string().min(1).max(200).optional(),
  count: z.number().int().min(1).max(256).default(1),
  /** Inventory figures: required RAM for "CPU", optional overrides for anything else. */
  memoryGB: z.number().positive().max(100_000).optional(),
  bandwidthGBs: z.number().positive().max(100_000).optional(),
  tflops: z.number().positive().max(100_000).optional(),
});

export const NodeRequestSchema = z.object({
  name: z.string().min(1).max(200),
  nicGbps: z.number().positive().max(10_000).default(1),
  nicLatencyMs: z.number().min(0).max(10_000).default(0.2),
  intraLink: IntraLinkSchema.optional(),
});

export const PlanRequestSchema = z.object({
  /** Catalog model name; a GGUF file's profile is passed beside the request instead. */
  model: z.string().min(1).max(4096),
  quant: z.string().min(1).max(40).optional(),
  context: z.number().int().default(8192),
  parallel: z.number().int().min(1).max(1024).default(1),
  objective: ObjectiveSchema.default('throughput'),
  utilisation: z.number().gt(0).max(1).default(0.9),
  devices: z.array(DeviceRequestSchema).max(1024),
  nodes: z.array(NodeRequestSchema).max(1024).default([]),
  /** Skip the what-if table (the bench plans thousands of times). */
  whatIf: z.boolean().default(true),
});

export const MemoryBreakdownSchema = z.object({
  weightsBytes: z.number(),
  kvCacheBytes: z.number(),
  computeBufferBytes: z.number(),
  overheadBytes: z.number(),
  embeddingBytes: z.number(),
  outputBytes: z.number(),
  totalBytes: z.number(),
  usableBytes: z.number(),
  fill: z.number(),
});

export const StageSchema = z.object({
  index: z.number().int(),
  deviceId: z.string(),
  gpu: z.string(),
  node: z.string(),
  firstLayer: z.number().int(),
  /** Inclusive. */
  lastLayer: z.number().int(),
  layerCount: z.number().int(),
  holdsEmbedding: z.boolean(),
  holdsOutput: z.boolean(),
  memory: MemoryBreakdownSchema,
  /** One decode micro-batch through this stage. */
  decodeMs: z.number(),
  /** The 512-token prompt through this stage. */
  prefillMs: z.number(),
  /** Activations to the next stage; null on the last stage. */
  hopToNextMs: z.number().nullable(),
  hopKind: z.enum(['network', 'intra-node']).nullable(),
  limitedBy: z.enum(['memory', 'bottleneck', 'balance']),
});

export const EstimatesSchema = z.object({
  aggregateTokensPerSecond: z.number(),
  singleStreamTokensPerSecond: z.number(),
  ttftMs: z.number(),
  promptTokens: z.number().int(),
  microBatch: z.number().int(),
});

export const BottleneckSchema = z.object({
  kind: z.enum(['stage', 'link']),
  /** Stage index, or for a link the index of the stage that sends over it. */
  stageIndex: z.number().int(),
  timeMs: z.number(),
  description: z.string(),
});

export const DeviceCostRowSchema = z.object({
  deviceId: z.string(),
  gpu: z.string(),
  node: z.string(),
  layerMs: z.number(),
  firstExtraMs: z.number(),
  lastExtraMs: z.number(),
  layerBytes: z.number(),
  fixedBytes: z.number(),
  firstExtraBytes: z.number(),
  lastExtraBytes: z.number(),
  usableBytes: z.number(),
  maxLayers: z.object({ only: z.number().int(), first: z.number().int(), middle: z.number().int(), last: z.number().int() }),
});

export const NodeCostRowSchema = z.object({
  node: z.string(),
  nicGbps: z.number(),
  hopMs: z.number(),
  intraHopMs: z.number(),
  intraLink: IntraLinkSchema,
});

/** Everything the optimiser saw: enough to re-check the plan's optimality by hand or by script. */
export const CostTableSchema = z.object({
  layers: z.number().int(),
  microBatch: z.number().int(),
  devices: z.array(DeviceCostRowSchema),
  nodes: z.array(NodeCostRowSchema),
  rules: z.array(z.string()),
});

export const WhatIfRowSchema = z.object({
  quant: z.string(),
  bitsPerWeight: z.number(),
  fits: z.boolean(),
  aggregateTokensPerSecond: z.number().nullable(),
  singleStreamTokensPerSecond: z.number().nullable(),
  ttftMs: z.number().nullable(),
  note: z.string(),
});

export const BaselineSchema = z.object({
  /** placed: fits our memory model; refused: the seed's own check fails; overflows: seed places it, our model says OOM. */
  status: z.enum(['placed', 'refused', 'overflows']),
  aggregateTokensPerSecond: z.number().nullable(),
  layersPerDevice: z.array(z.object({ deviceId: z.string(), layers: z.number().int() })),
  note: z.string(),
});

/** A GGUF file on a discovered node, whose header (read over SSH) the plan was made from. */
export const NodeModelFileSchema = z.object({
  node: z.string(),
  path: z.string(),
  sizeBytes: z.number().nonnegative(),
  /** sha256 of the first MiB, as discovery's probe computes it: tells this file from another of the same name. */
  headerDigest: z.string(),
});

export const ModelSummarySchema = z.object({
  name: z.string(),
  architecture: z.string(),
  layers: z.number().int(),
  quant: z.string(),
  bitsPerWeight: z.number(),
  totalBytes: z.number(),
  source: z.enum(['catalog', 'gguf']),
  /** Set when the model is a GGUF file on a node rather than a catalog entry or a local file. */
  nodeFile: NodeModelFileSchema.optional(),
  /** Set when the model is an HQ release: which one (name, HQ's version, digest). */
  release: ReleaseRefSchema.optional(),
});

const PlanCommonShape = {
  objective: ObjectiveSchema,
  model: ModelSummarySchema,
  context: z.number().int(),
  parallel: z.number().int(),
  utilisation: z.number(),
  costTable: CostTableSchema,
  /** Measured factors the cost table includes (plan vs actual); empty when none applied. */
  calibration: z.array(AppliedCalibrationSchema).default([]),
  explanation: z.array(z.string()),
  whatIf: z.array(WhatIfRowSchema),
  baseline: BaselineSchema,
};

export const ShardPlanSchema = z.object({
  feasible: z.literal(true),
  ...PlanCommonShape,
  stages: z.array(StageSchema),
  estimates: EstimatesSchema,
  bottleneck: BottleneckSchema,
});

export const InfeasiblePlanSchema = z.object({
  feasible: z.literal(false),
  ...PlanCommonShape,
  /** One line: "needs 43.1 GB, 40.8 GB usable; fits with Q3_K_M, or with context 4096". */
  reason: z.string(),
  needBytes: z.number(),
  usableBytes: z.number(),
  fitsWith: z.array(z.string()),
});

export const PlanResultSchema = z.discriminatedUnion('feasible', [ShardPlanSchema, InfeasiblePlanSchema]);

export const CatalogSchema = z.object({
  gpus: z.array(z.object({ name: z.string(), memoryBytes: z.number(), fp16Tflops: z.number(), bandwidthGBs: z.number(), unifiedMemory: z.boolean(), source: z.string() })),
  models: z.array(z.object({ name: z.string(), layers: z.number().int(), hiddenSize: z.number().int(), heads: z.number().int(), kvHeads: z.number().int(), vocabSize: z.number().int(), maxContext: z.number().int(), source: z.string() })),
  quantizations: z.array(z.object({ name: z.string(), bitsPerWeight: z.number(), source: z.string() })),
});

export type PlanRequestInput = z.input<typeof PlanRequestSchema>;
export type PlanRequest = z.output<typeof PlanRequestSchema>;
export type ShardPlan = z.output<typeof ShardPlanSchema>;
export type InfeasiblePlan = z.output<typeof InfeasiblePlanSchema>;
export type PlanResult = z.output<typeof PlanResultSchema>;
export type Stage = z.output<typeof StageSchema>;
export type CostTable = z.output<typeof CostTableSchema>;
export type WhatIfRow = z.output<typeof WhatIfRowSchema>;
export type Baseline = z.output<typeof BaselineSchema>;
export type Catalog = z.output<typeof CatalogSchema>;
export type NodeModelFile = z.output<typeof NodeModelFileSchema>;
