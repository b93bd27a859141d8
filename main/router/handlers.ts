import type { HandlersFor } from '../platform/dispatcher.js';
import type { RouterService } from './service.js';

export function routerHandlers(router: RouterService): HandlersFor<'router'> {
  return {
    'router.endpoints.list': () => router.endpoints(),
    'router.endpoints.add': (input) => router.addEndpoint(input),
    'router.endpoints.remove': (input) => router.removeEndpoint(input.name),
    'router.keys.list': () => router.keys(),
    'router.keys.add': (input) => router.addKey(input),
    'router.keys.revoke': (input) => router.revokeKey(input.id),
    'router.policy.show': () => router.policy(),
    'router.policy.set': (input) => router.setPolicy(input),
    'router.status': () => router.status(),
    'router.retries.journal': () => ({ journaled: router.journalRetries() }),
  };
}
