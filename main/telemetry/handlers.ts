import type { HandlersFor } from '../platform/dispatcher.js';
import type { TelemetryService } from './service.js';

export function telemetryHandlers(telemetry: TelemetryService): HandlersFor<'telemetry'> {
  return {
    'telemetry.series': (input) => telemetry.series(input),
    'telemetry.sources': () => telemetry.sources(),
    'telemetry.alerts': ({ all }) => telemetry.alerts(all),
    'telemetry.acknowledge': ({ key }) => telemetry.acknowledge(key),
    'telemetry.nodes': () => telemetry.nodes(),
    'telemetry.dashboard': () => telemetry.dashboard(),
    'telemetry.health': () => telemetry.health(),
    'telemetry.settings.show': () => telemetry.settings(),
    'telemetry.settings.set': (input) => telemetry.setSettings(input),
  };
}
