import { z } from 'zod';
import { DeploymentActualsSchema } from './calibration.js';

/** The Workers capability's shapes: deployments of stored plans and the processes that serve them. */

export const ENGINE_KINDS = ['llama.cpp', 'vllm', 'custom'] as const;
export const EngineKindSchema = z.enum(ENGINE_KINDS);
/** ssh: every rpc-server binds 127.0.0.1 and the head reaches it through a one-port SSH tunnel; lan: direct (isolated fabrics only). */
export const RpcTransportSchema = z.enum(['ssh', 'lan']);

export const DeploymentIdSchema = z.string().regex(/^dep-[0-9a-z]{4,40}$/, 'a deployment id reads dep-… (see `outpost workers`)');
export const WorkerNameSchema = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'a worker name reads like head, rpc-1, tunnel-1 (see `outpost workers`)');

export const WORKER_ROLES = ['head', 'rpc', 'tunnel', 'ray-head', 'ray-worker', 'stage'] as const;
export const WorkerRoleSchema = z.enum(WORKER_ROLES);
export const WORKER_STATES = ['starting', 'running', 'restarting', 'down', 'stopped'] as const;
export const WorkerStateSchema = z.enum(WORKER_STATES);
export const DEPLOYMENT_STATES = ['launching', 'ready', 'degraded', 'stopping', 'stopped', 'failed'] as const;
export const DeploymentStateSchema = z.enum(DEPLOYMENT_STATES);

export const WorkerSchema = z.object({
  name: WorkerNameSchema,
  role: WorkerRoleSchema,
  node: z.string(),
  address: z.string(),
  /** The plan stage this process serves; null for a tunnel or Ray's head. */
  stageIndex: z.number().int().nullable(),
  /** Where it listens, as seen on its own host. */
  listen: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  state: WorkerStateSchema,
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  startedAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export const DeploymentStageSchema = z.object({
  index: z.number().int(),
  node: z.string(),
  gpu: z.string(),
  firstLayer: z.number().int(),
  lastLayer: z.number().int(),
  layerCount: z.number().int(),
  holdsOutput: z.boolean(),
  memoryBytes: z.number(),
});

/**
 * A deployment is a desired state: when a member host stays unreachable past the grace period, the supervisor
 * plans the same model on the hosts that are left and moves the traffic to a replacement. On the broken
 * deployment: waiting (inside the grace) → replanning → replaced, or no-fit / failed (it stays degraded and says
 * why). On the replacement: replacement, with canRestore once the lost hosts answer again.
 */
export const REPLAN_STATES = ['waiting', 'replanning', 'replaced', 'no-fit', 'failed', 'replacement'] as const;
export const ReplanSchema = z.object({
  state: z.enum(REPLAN_STATES),
  /** The hosts that stopped answering. */
  lostNodes: z.array(z.string()),
  /** On a replacement: the deployment it stands in for. */
  replaces: z.string().nullable(),
  /** On a replaced deployment: the one that took its traffic. */
  replacedBy: z.string().nullable(),
  /** What happened, or for no-fit what the surviving hosts offer and what would fit. */
  detail: z.string(),
  /** On a replacement: the lost hosts answer again, so the original plan can be launched back (`outpost restore`). */
  canRestore: z.boolean(),
  at: z.string(),
});

/** Moving a deployment of an HQ release to another version of it without a gap (rollout), and back (rollback). */
export const RolloutSchema = z.object({
  /** A newer release of its model than it runs, which a rollout would bring; null when it runs the newest. */
  availableVersion: z.string().nullable(),
  /** After a rollout: the deployment and version it replaced, which a rollback launches again (its file is kept). */
  rollbackTo: z.object({ deployment: z.string(), version: z.string() }).nullable(),
  /** What the last rollout or rollback of it did, or why it failed; null when none happened. */
  detail: z.string().nullable(),
});

export const DeploymentSchema = z.object({
  id: DeploymentIdSchema,
  planId: z.string(),
  model: z.string(),
  engine: EngineKindSchema,
  rpcTransport: RpcTransportSchema,
  state: DeploymentStateSchema,
  /** The head's OpenAI-compatible base URL (…/v1 is under it). */
  apiUrl: z.string().nullable(),
  /** The router endpoint name while registered. */
  endpoint: z.string().nullable(),
  detail: z.string().nullable(),
  /** Measured by the launch's test prompt. */
  tokensPerSecond: z.number().nullable(),
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  stages: z.array(DeploymentStageSchema),
  workers: z.array(WorkerSchema),
  /** Re-planning after a lost host; null when none happened. */
  replan: ReplanSchema.nullable().optional(),
  /** Plan vs actual, measured once the launch was ready; absent until then (and for deployments before it existed). */
  actuals: DeploymentActualsSchema.optional(),
  /** The name applications ask the router for: an HQ release's name (absent on deployments from before it was kept). */
  modelName: z.string().optional(),
  /** HQ's version of the release it runs; null for a plain GGUF file or a catalog model. */
  modelVersion: z.string().nullable().optional(),
  /** Rollout and rollback of a deployment of an HQ release; absent for other models. */
  rollout: RolloutSchema.optional(),
});

/** 'switch': a rollout or rollback moving the traffic over (withdraw, drain, stop the old one). */
export const LAUNCH_PHASES = ['preflight', 'model', 'keys', 'start', 'ready', 'test', 'register', 'rollback', 'switch'] as const;
export const LaunchProgressSchema = z.object({
  deploymentId: DeploymentIdSchema,
  phase: z.enum(LAUNCH_PHASES),
  message: z.string(),
  /** 0..1 within the phase where it is known (model copy, readiness). */
  fraction: z.number().min(0).max(1).nullable(),
  /** A model copy's bytes and pace; absent outside a copy (and from launches before it was sent). */
  transfer: z
    .object({
      doneBytes: z.number().nonnegative(),
      totalBytes: z.number().nonnegative(),
      /** Over the last few seconds of the copy; null until two readings apart in time. */
      bytesPerSecond: z.number().nonnegative().nullable(),
      /** At that pace; null while the pace is unknown. */
      etaSeconds: z.number().nonnegative().nullable(),
      /** Bytes a resumed copy found already on the host. */
      resumedFromBytes: z.number().nonnegative(),
    })
    .optional(),
});

export const WorkerChangeSchema = z.object({
  deploymentId: DeploymentIdSchema,
  deploymentState: DeploymentStateSchema,
  worker: WorkerNameSchema.nullable(),
  workerState: WorkerStateSchema.nullable(),
  restarts: z.number().int().nullable(),
  reason: z.string(),
});

export const PromptTokenSchema = z.object({
  requestId: z.string(),
  text: z.string(),
});

export const LogTailSchema = z.object({
  worker: WorkerNameSchema,
  node: z.string(),
  lines: z.array(z.string()),
});

export type EngineKind = z.infer<typeof EngineKindSchema>;
export type RpcTransport = z.infer<typeof RpcTransportSchema>;
export type WorkerRole = z.infer<typeof WorkerRoleSchema>;
export type WorkerState = z.infer<typeof WorkerStateSchema>;
export type DeploymentState = z.infer<typeof DeploymentStateSchema>;
export type Worker = z.infer<typeof WorkerSchema>;
export type Deployment = z.infer<typeof DeploymentSchema>;
export type DeploymentStage = z.infer<typeof DeploymentStageSchema>;
export type LaunchProgress = z.infer<typeof LaunchProgressSchema>;
export type WorkerChange = z.infer<typeof WorkerChangeSchema>;
export type LogTail = z.infer<typeof LogTailSchema>;
export type Replan = z.infer<typeof ReplanSchema>;
export type Rollout = z.infer<typeof RolloutSchema>;
