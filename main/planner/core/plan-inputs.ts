import { OutpostError } from '../../../shared/errors.js';
import { cpuDevice, findGpu, type GpuSpec, type IntraLink } from './catalog-gpus.js';
import { findModel, findQuantization, type ModelSpec } from './catalog-models.js';
import { ASSUMPTIONS, type PlacedDevice, type SiteNode } from './cost-model.js';
import { profileFromCatalog, type ModelProfile } from './model-profile.js';
import { appliedFor, type PlanCalibration } from './calibration.js';
import { PlanRequestSchema, type PlanRequest, type PlanRequestInput } from '../../../shared/domain/planner.js';

const GB = 1e9;
export const DEFAULT_QUANT = 'Q4_K_M';

export interface ResolvedInputs {
  readonly request: PlanRequest;
  readonly profile: ModelProfile;
  /** Catalog entry when planning a catalog model: what-ifs then use measured bits per weight. */
  readonly catalogModel: ModelSpec | null;
  readonly devices: readonly PlacedDevice[];
  readonly nodes: readonly SiteNode[];
}

export function parseRequest(input: PlanRequestInput): PlanRequest {
  const parsed = PlanRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new OutpostError('INVALID_INPUT', `Plan request is invalid${where ? ` at ${where}` : ''}: ${issue?.message ?? 'unknown problem'}.`, 'See `outpost plan --help` for the accepted options.');
  }
  return parsed.data;
}

/** Validates names, numbers and the model against each other; throws before anything is planned. */
export function resolveInputs(input: PlanRequestInput, ggufProfile?: ModelProfile, calibration?: PlanCalibration): ResolvedInputs {
  const request = parseRequest(input);
  let profile: ModelProfile;
  let catalogModel: ModelSpec | null = null;
  if (ggufProfile !== undefined) {
    if (request.quant !== undefined && request.quant.toUpperCase() !== ggufProfile.quantization.toUpperCase()) {
      throw new OutpostError('INVALID_INPUT', `The model file is ${ggufProfile.quantization}; it does not have ${request.quant}.`, `Leave out --quant to plan the file as it is, or pick the ${request.quant} file of this model.`);
    }
    profile = ggufProfile;
  } else {
    catalogModel = findModel(request.model);
    profile = profileFromCatalog(catalogModel, findQuantization(request.quant ?? DEFAULT_QUANT));
  }
  if (request.context < 1 || request.context > profile.maxContext) {
    throw new OutpostError('INVALID_INPUT', `Context ${request.context} is outside 1–${profile.maxContext} for ${profile.name}.`, `Pick a context between 1 and ${profile.maxContext} tokens (8192 is a common choice).`);
  }
  const placed = placeDevices(request);
  const devices = calibration ? placed.devices.map((d) => ({ ...d, calibration: appliedFor(calibration.records, { gpu: d.gpu.name, engine: calibration.engine, quant: profile.quantization }) ?? undefined })) : placed.devices;
  return { request, profile, catalogModel, devices, nodes: placed.nodes };
}

function gpuFor(entry: PlanRequest['devices'][number]): GpuSpec {
  if (entry.gpu.trim().toUpperCase() === 'CPU') {
    if (entry.memoryGB === undefined) {
      throw new OutpostError('INVALID_INPUT', 'A CPU device needs its RAM size.', 'Give memoryGB from the node inventory (outpost nodes --json).');
    }
    return cpuDevice({ ramBytes: entry.memoryGB * GB, bandwidthGBs: entry.bandwidthGBs, tflops: entry.tflops });
  }
  const gpu = findGpu(entry.gpu);
  return {
    ...gpu,
    memoryBytes: entry.memoryGB !== undefined ? entry.memoryGB * GB : gpu.memoryBytes,
    bandwidthGBs: entry.bandwidthGBs ?? gpu.bandwidthGBs,
    fp16Tflops: entry.tflops ?? gpu.fp16Tflops,
  };
}

function placeDevices(request: PlanRequest): { devices: PlacedDevice[]; nodes: SiteNode[] } {
  const total = request.devices.reduce((sum, d) => sum + d.count, 0);
  if (total === 0) {
    throw new OutpostError('INVALID_INPUT', 'No GPUs to plan on.', 'Pass --gpus (e.g. A100-80GB,L40S) or --nodes with discovered GPUs.');
  }
  if (total > 1024) throw new OutpostError('INVALID_INPUT', `${total} devices is more than the planner takes (1024).`, 'Plan a subset of the site.');
  const nodeIndex = new Map<string, number>();
  const nodeNames: string[] = [];
  const nodeLinks: IntraLink[][] = [];
  const devices: PlacedDevice[] = [];
  let anonymous = 0;
  for (const entry of request.devices) {
    const gpu = gpuFor(entry);
    for (let i = 0; i < entry.count; i++) {
      // A device with no node named is its own host: the conservative assumption for links.
      const name = entry.node ?? `host-${++anonymous}`;
      let index = nodeIndex.get(name);
      if (index === undefined) {
        index = nodeNames.length;
        nodeIndex.set(name, index);
        nodeNames.push(name);
        nodeLinks.push([]);
      }
      nodeLinks[index]?.push(gpu.defaultIntraLink);
      const id = `${name}/${gpu.name}#${devices.filter((d) => d.node === index).length}`;
      devices.push({ id, gpu, node: index });
    }
  }
  const configs = new Map(request.nodes.map((n) => [n.name, n]));
  const nodes = nodeNames.map((name, i): SiteNode => {
    const config = configs.get(name);
    const kinds = [...new Set(nodeLinks[i] ?? [])];
    return {
      name,
      nicGbps: config?.nicGbps ?? ASSUMPTIONS.defaultNicGbps,
      nicLatencyMs: config?.nicLatencyMs ?? ASSUMPTIONS.defaultNicLatencyMs,
      intraLink: config?.intraLink ?? (kinds.length === 1 && kinds[0] !== undefined ? kinds[0] : 'pcie4'),
    };
  });
  return { devices, nodes };
}
