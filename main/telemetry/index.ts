/** The Telemetry & offline capability: sampling, retention, charts, alerts and the offline health report. */
import type { Deployment } from '../../shared/domain/workers.js';
import type { TelemetryReport } from '../../shared/domain/telemetry.js';
import type { Db } from '../platform/store/index.js';
import { SiteFacts } from './adapters/site-facts.js';
import { TelemetryStore } from './adapters/telemetry-store.js';
import { TelemetryService } from './service.js';

export { TelemetryService, MAX_REPORT_ROWS, type TelemetryDeps } from './service.js';
export { Sampler, NVIDIA_STREAM, TEGRASTATS_STREAM, type SamplerDeps, type NodeShells, type WorkstationLoad } from './sampler.js';
export { TelemetryStore } from './adapters/telemetry-store.js';
export { SiteFacts } from './adapters/site-facts.js';
export { workstationLoadReader } from './adapters/workstation-load.js';
export { telemetryHandlers } from './handlers.js';
export { gpuLineSamples, tegrastatsSamples } from './core/gpu-lines.js';

/** The telemetry service on a store. */
export function openTelemetry(db: Db, now: () => Date): { service: TelemetryService; store: TelemetryStore; facts: SiteFacts } {
  const store = new TelemetryStore(db, () => Math.floor(now().getTime() / 1000));
  const facts = new SiteFacts(db);
  return { service: new TelemetryService({ store, facts, now }), store, facts };
}

/**
 * What a site's bundle for `peer` carries from this capability: minute rollups
 * since the peer's last acknowledgement (bounded) and the deployment state.
 * The cursor is remembered under the bundle's sequence number.
 */
export function siteTelemetryReport(db: Db, peer: string, sequence: number, now: () => Date = () => new Date()): { telemetry: TelemetryReport; deployments: Deployment[] } {
  return openTelemetry(db, now).service.siteReport(peer, sequence);
}
