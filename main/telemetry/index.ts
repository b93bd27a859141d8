/** The Telemetry & offline capability: sampling, retention, charts, alerts and the offline health report. */
import type { Db } from '../platform/store/index.js';
import type { SiteFacts } from './core/site-facts.js';
import { TelemetryStore } from './adapters/telemetry-store.js';
import { TelemetryService } from './service.js';

export { TelemetryService, MAX_REPORT_ROWS, type TelemetryDeps } from './service.js';
export { Sampler, NVIDIA_STREAM, TEGRASTATS_STREAM, type SamplerDeps, type NodeShells, type WorkstationLoad } from './sampler.js';
export { TelemetryStore } from './adapters/telemetry-store.js';
export type { SiteFacts } from './core/site-facts.js';
export { workstationLoadReader } from './adapters/workstation-load.js';
export { telemetryHandlers } from './handlers.js';
export { gpuLineSamples, tegrastatsSamples } from './core/gpu-lines.js';

/** The telemetry service on a store, reading the rest of the site through `facts`. */
export function openTelemetry(db: Db, now: () => Date, facts: SiteFacts): { service: TelemetryService; store: TelemetryStore; facts: SiteFacts } {
  const store = new TelemetryStore(db, () => Math.floor(now().getTime() / 1000));
  return { service: new TelemetryService({ store, facts, now }), store, facts };
}
