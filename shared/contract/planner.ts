import { z } from 'zod';
import { StoredCalibrationSchema } from '../domain/calibration.js';
import { defineCall } from './define.js';
import { LibraryModelSchema } from '../domain/models.js';
import { CatalogSchema, DeviceRequestSchema, NodeRequestSchema, ObjectiveSchema, PlanResultSchema } from '../domain/planner.js';

export const PlanIdSchema = z.string().regex(/^plan-[0-9a-z]{4,40}$/, 'a plan id reads plan-… (see `outpost plan list`)');

export const StoredPlanSummarySchema = z.object({
  id: PlanIdSchema,
  createdAt: z.iso.datetime(),
  model: z.string(),
  quant: z.string(),
  objective: ObjectiveSchema,
  stages: z.number().int(),
  aggregateTokensPerSecond: z.number(),
});

export const PlanCallInputSchema = z
  .object({
    /** An HQ release (name, or name@version), a catalog name, or a path to a .gguf file on this workstation… */
    model: z.string().min(1).max(4096).optional(),
    /** …or a GGUF file a scan found on a node: its header is read over SSH (never its weights). */
    nodeModel: z
      .object({ node: z.string().min(1).max(200), path: z.string().startsWith('/', 'an absolute path, as `outpost nodes` lists it').max(4096) })
      .strict()
      .optional(),
    quant: z.string().min(1).max(40).optional(),
    context: z.number().int().default(8192),
    parallel: z.number().int().min(1).max(1024).default(1),
    objective: ObjectiveSchema.default('throughput'),
    utilisation: z.number().gt(0).max(1).default(0.9),
    /** GPUs by catalog name (what-if planning without a site)… */
    devices: z.array(DeviceRequestSchema).max(1024).default([]),
    nodes: z.array(NodeRequestSchema).max(1024).default([]),
    /** …or nodes of the inventory by name: their GPUs (or CPU and RAM) are used. */
    inventoryNodes: z.array(z.string().min(1).max(200)).max(1024).default([]),
    /** Store a feasible plan so `outpost launch <plan-id>` can use it. */
    save: z.boolean().default(true),
    /** Plan with this site's calibration (plan vs actual) where a record exists; false: the bare cost model. */
    calibrate: z.boolean().default(true),
  })
  .strict()
  .refine((input) => (input.model === undefined) !== (input.nodeModel === undefined), {
    message: 'name the model once: a catalog name or local .gguf path (model), or a GGUF file on a node (nodeModel)',
    path: ['model'],
  })
  .refine((input) => input.devices.length > 0 || input.inventoryNodes.length > 0, {
    message: 'name the hardware: GPUs (--gpus A100-80GB,T4) or inventory nodes (--nodes a,b)',
    path: ['devices'],
  });

export const plannerCalls = {
  'planner.catalog': defineCall({
    summary: 'The GPU, model and quantization catalogs the planner knows, with their sources.',
    input: z.object({}).strict(),
    output: CatalogSchema,
    mutates: false,
  }),
  'planner.plan': defineCall({
    summary: 'The exact optimal pipeline split of a model across GPUs, with estimates, explanation and what-ifs.',
    input: PlanCallInputSchema,
    output: z.object({ planId: PlanIdSchema.nullable(), plan: PlanResultSchema }),
    mutates: true,
  }),
  'planner.list': defineCall({
    summary: 'Stored plans, newest first.',
    input: z.object({ limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.array(StoredPlanSummarySchema),
    mutates: false,
  }),
  'planner.calibration': defineCall({
    summary: "Plan vs actual calibration: this site's measured factors per (device, engine, quantisation), and HQ's.",
    input: z.object({}).strict(),
    output: z.array(StoredCalibrationSchema),
    mutates: false,
  }),
  'planner.delete': defineCall({
    summary: 'Delete a stored plan; refused while a live deployment uses it (stop that deployment first).',
    input: z.object({ id: PlanIdSchema }).strict(),
    output: z.object({ id: PlanIdSchema }),
    mutates: true,
  }),
  'planner.models': defineCall({
    summary: 'The model library: every model the site can run — HQ releases by name and version, GGUF files here and on the nodes — with architecture, quantisation, size and location.',
    input: z.object({}).strict(),
    output: z.array(LibraryModelSchema),
    mutates: false,
  }),
  'planner.get': defineCall({
    summary: 'One stored plan, whole (stages, estimates, the cost table it optimised).',
    input: z.object({ id: PlanIdSchema }).strict(),
    output: z.object({ id: PlanIdSchema, createdAt: z.iso.datetime(), plan: PlanResultSchema }),
    mutates: false,
  }),
};
