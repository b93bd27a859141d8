/**
 * The planner capability's public surface: what shared/contract/planner.ts and the CLI call.
 * Everything but GGUF file reading is pure (main/planner/core).
 */
export * from '../../shared/domain/planner.js';
export type { ModelProfile } from './core/model-profile.js';
export type { GgufHeader, GgufTensorInfo, ByteSource } from './core/gguf-header.js';
export { readGgufHeader } from './core/gguf-header.js';
export { profileFromGguf, SUPPORTED_ARCHITECTURES } from './core/gguf-profile.js';
export { nearestNames } from './core/names.js';

export { planShards, planShardsWithProfile, readGgufFile, plannerCatalog } from './planning.js';
export { PlannerService, type PlannerDeps, type HqCalibrationOutcome } from './service.js';
export { CalibrationRepository } from './adapters/calibration-repository.js';
export { PlanRepository } from './adapters/plan-repository.js';
export { readNodeGgufHeader, NODE_HEADER_CAP, type NodeGgufHeader } from './adapters/node-gguf.js';
export { plannerHandlers } from './handlers.js';
export { catalogNameForGpu } from './core/gpu-names.js';
export type { InventoryNode } from './core/inventory-devices.js';
