import type { HandlersFor } from '../platform/dispatcher.js';
import type { SetupService } from './service.js';

export function setupHandlers(setup: SetupService): HandlersFor<'setup'> {
  return {
    'setup.state': () => setup.state(),
    'setup.confirm': (input) => setup.confirm(input),
  };
}
