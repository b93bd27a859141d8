import type { EngineKind } from '../../../../shared/domain/workers.js';
import { customEngine } from './custom.js';
import type { EngineAdapter } from './engine.js';
import { llamaCppEngine } from './llama-cpp.js';
import { vllmEngine } from './vllm.js';

export const ENGINES: Record<EngineKind, EngineAdapter> = { 'llama.cpp': llamaCppEngine, vllm: vllmEngine, custom: customEngine };
export * from './engine.js';
export { layerAssignment, rpcWorkerName, tunnelWorkerName, TUNNEL_KEY_FILE, KNOWN_HOSTS_FILE } from './llama-cpp.js';
export { fillTemplate, unknownPlaceholders, TEMPLATE_PLACEHOLDERS } from './custom.js';
