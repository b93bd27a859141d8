/** Planning a request: a catalog model or a .gguf file's header, onto devices (the I/O is the header read only). */
import { modelNameFromPath, readGgufHeaderFromFile } from './adapters/gguf-file.js';
import { GPU_CATALOG } from './core/catalog-gpus.js';
import { layerParameters, MODEL_CATALOG, QUANTIZATIONS } from './core/catalog-models.js';
import { profileFromGguf } from './core/gguf-profile.js';
import type { ModelProfile } from './core/model-profile.js';
import { planShards as planShardsCore } from './core/plan-shards.js';
import type { PlanCalibration } from './core/calibration.js';
import type { Catalog, PlanRequestInput, PlanResult } from '../../shared/domain/planner.js';

/** Reads a GGUF file's header (never its weights) and derives the planner's model profile. */
export async function readGgufFile(path: string): Promise<ModelProfile> {
  const header = await readGgufHeaderFromFile(path);
  return profileFromGguf(header, modelNameFromPath(path));
}

const isGgufPath = (model: string): boolean => /\.gguf$/i.test(model);

/**
 * Plans `request.model` — a catalog name, or a path to a .gguf file — onto the devices.
 * Throws OutpostError (INVALID_INPUT / NOT_FOUND) for bad input; an infeasible request is a
 * result with `feasible: false`, the reason and what would fit.
 */
export async function planShards(request: PlanRequestInput, calibration?: PlanCalibration): Promise<PlanResult> {
  const profile = isGgufPath(request.model) ? await readGgufFile(request.model) : undefined;
  return planShardsCore(request, profile, calibration);
}

/** Synchronous planning for a catalog model or an already-read profile (no I/O). */
export function planShardsWithProfile(request: PlanRequestInput, profile?: ModelProfile, calibration?: PlanCalibration): PlanResult {
  return planShardsCore(request, profile, calibration);
}

export function plannerCatalog(): Catalog {
  return {
    gpus: GPU_CATALOG.map((g) => ({ name: g.name, memoryBytes: g.memoryBytes, fp16Tflops: g.fp16Tflops, bandwidthGBs: g.bandwidthGBs, unifiedMemory: g.unifiedMemory, source: g.source })),
    models: MODEL_CATALOG.map((m) => ({
      name: m.name,
      layers: m.layers,
      hiddenSize: m.hiddenSize,
      heads: m.heads,
      kvHeads: m.kvHeads,
      vocabSize: m.vocabSize,
      maxContext: m.maxContext,
      source: `${m.source}; ${((layerParameters(m).stored * m.layers) / 1e9).toFixed(1)}B parameters in blocks`,
    })),
    quantizations: QUANTIZATIONS.map((q) => ({ name: q.name, bitsPerWeight: q.bitsPerWeight, source: q.source })),
  };
}
