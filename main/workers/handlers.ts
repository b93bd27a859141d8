import type { HandlersFor } from '../platform/dispatcher.js';
import type { WorkersService } from './core/service.js';

export function workersHandlers(workers: WorkersService): HandlersFor<'workers'> {
  return {
    'workers.launch': (input, context) => workers.launch(input, context.signal),
    'workers.launchLogin': ({ planId }) => workers.launchLogin(planId),
    'workers.list': ({ all }) => workers.list(all),
    'workers.stop': ({ deployment }) => workers.stop(deployment),
    'workers.restart': ({ deployment }, context) => workers.restart(deployment, `restarted by ${context.user} (${context.actor})`, context.signal),
    'workers.logs': (input) => workers.logs(input),
    'workers.restore': ({ deployment }, context) => workers.restore(deployment, context.signal),
    'workers.prompt': (input, context) => workers.prompt(input, context.signal),
    'workers.rollout': (input, context) => workers.rollout(input, context.signal),
    'workers.rollback': (input, context) => workers.rollback(input, context.signal),
  };
}
