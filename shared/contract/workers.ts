import { z } from 'zod';
import { defineCall, defineEvent } from './define.js';
import { PlanIdSchema } from './planner.js';
import { ReleaseLabelSchema } from '../domain/sync.js';
import { DeploymentIdSchema, DeploymentSchema, EngineKindSchema, LaunchProgressSchema, LogTailSchema, PromptTokenSchema, RpcTransportSchema, WorkerChangeSchema, WorkerNameSchema } from '../domain/workers.js';

const LoginSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]{0,31}$/, 'a login name: letters, digits, ".", "_", "-"');

export const LaunchInputSchema = z
  .object({
    planId: PlanIdSchema,
    engine: EngineKindSchema.default('llama.cpp'),
    /** The head's API port. */
    port: z.number().int().min(1024).max(65535).default(8181),
    rpcTransport: RpcTransportSchema.default('ssh'),
    /** SSH login on the site's hosts (discovery does not keep the one it scanned with). */
    user: LoginSchema.optional(),
    /** Private key to log in with; the site key by default. */
    key: z.string().min(1).max(4096).optional(),
    /** The custom engine's command template, with {model} {host} {port} {stage} {firstLayer} {lastLayer} {layers} {node} {head} {headPort}. */
    template: z.string().min(1).max(8192).optional(),
    /** Threads per engine process (llama.cpp -t). */
    threads: z.number().int().min(1).max(1024).default(1),
    /** Chosen by the caller so a Stop or Ctrl-C can reach the launch while it runs. */
    deploymentId: DeploymentIdSchema.optional(),
  })
  .strict()
  .refine((input) => input.engine !== 'custom' || input.template !== undefined, {
    message: 'the custom engine needs --template "<command with {placeholders}>"',
    path: ['template'],
  });

export const LaunchLoginSchema = z.object({
  /** The login a launch uses when none is given; null when the plan's nodes were inventoried as different logins. */
  user: z.string().nullable(),
  /** inventory: the login that inventoried the nodes; workstation: no node kept one, so this workstation's user. */
  from: z.enum(['inventory', 'workstation']).nullable(),
  nodes: z.array(z.object({ node: z.string(), login: z.string().nullable() })),
  /** Why there is no default login, naming each node's. */
  problem: z.string().nullable(),
});

const DeploymentRefSchema = z.object({ deployment: DeploymentIdSchema }).strict();

export const workersCalls = {
  'workers.launch': defineCall({
    summary: 'Launch a stored plan: preflight every host, copy the model, start the engine processes, wait for readiness, test prompt, register with the router.',
    input: LaunchInputSchema,
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.launchLogin': defineCall({
    summary: "The SSH login a launch of a stored plan uses unless told otherwise: the one that inventoried the plan's nodes.",
    input: z.object({ planId: PlanIdSchema }).strict(),
    output: LaunchLoginSchema,
    mutates: false,
  }),
  'workers.list': defineCall({
    summary: 'Deployments and their workers, with state, uptime and restart counts.',
    input: z.object({ all: z.boolean().default(false) }).strict(),
    output: z.array(DeploymentSchema),
    mutates: false,
  }),
  'workers.stop': defineCall({
    summary: 'Stop a deployment (TERM, then KILL after a grace period), withdraw its endpoint, remove its tunnels and keys; cancels a launch in progress.',
    input: DeploymentRefSchema,
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.restart': defineCall({
    summary: 'Restart a deployment as a unit (the pipeline aborts when any member fails, so it restarts whole).',
    input: DeploymentRefSchema,
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.restore': defineCall({
    summary: 'Go back to the original plan of a deployment that replaced one after a lost host: launch it again once its hosts answer, move the traffic to it, stop the replacement.',
    input: DeploymentRefSchema,
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.rollout': defineCall({
    summary:
      'Move a deployment of an HQ release to another version without a gap: launch it (same plan shape, or re-planned on the same nodes), wait for ready and its test prompt, register it under the same model name, withdraw and drain the old one, stop it (its file is kept for a rollback).',
    input: z
      .object({
        deployment: DeploymentIdSchema,
        /** HQ's version label to move to (`outpost models` lists them). */
        to: ReleaseLabelSchema,
        /** The new deployment's id, chosen by the caller so a Ctrl-C can reach the launch while it runs. */
        deploymentId: DeploymentIdSchema.optional(),
      })
      .strict(),
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.rollback': defineCall({
    summary: 'Go back to the version a rollout replaced: launch it again, move the traffic to it the same way, stop the newer one.',
    input: z.object({ deployment: DeploymentIdSchema, deploymentId: DeploymentIdSchema.optional() }).strict(),
    output: DeploymentSchema,
    mutates: true,
  }),
  'workers.logs': defineCall({
    summary: "The last lines of a deployment's worker logs.",
    input: z.object({ deployment: DeploymentIdSchema, worker: WorkerNameSchema.optional(), lines: z.number().int().min(1).max(5000).default(100) }).strict(),
    output: z.array(LogTailSchema),
    mutates: false,
  }),
  'workers.prompt': defineCall({
    summary: "Send a test prompt to a deployment's head; tokens stream as workers.promptToken events.",
    input: z
      .object({
        deployment: DeploymentIdSchema,
        prompt: z.string().min(1).max(8000),
        maxTokens: z.number().int().min(1).max(2048).default(64),
        requestId: z
          .string()
          .regex(/^[A-Za-z0-9-]{1,64}$/)
          .optional(),
      })
      .strict(),
    output: z.object({ requestId: z.string(), text: z.string(), tokens: z.number().int(), tokensPerSecond: z.number(), ttftMs: z.number() }),
    mutates: false,
  }),
};

export const workersEvents = {
  'workers.launchProgress': defineEvent({ summary: 'A launch moved on: preflight, model copy, start, readiness, test prompt, registration, rollback.', payload: LaunchProgressSchema }),
  'workers.changed': defineEvent({ summary: 'A deployment or one of its workers changed state (supervision, stop, restart).', payload: WorkerChangeSchema }),
  'workers.promptToken': defineEvent({ summary: 'Streamed text of a test prompt.', payload: PromptTokenSchema }),
};
