import type { HandlersFor } from '../platform/dispatcher.js';
import type { ListenService } from './listen-service.js';
import type { RouterService } from './service.js';

export function routerHandlers(router: RouterService, listen: ListenService): HandlersFor<'router'> {
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
    'router.listen.show': () => listen.show(),
    'router.listen.set': (input) => listen.set(input),
    'router.connect': (input) => listen.connect(input),
  };
}
