import type { EventHub } from '../platform/events.js';
import type { HandlersFor } from '../platform/dispatcher.js';
import type { IdentityService } from './service.js';

export function identityHandlers(identity: IdentityService, events: EventHub): HandlersFor<'identity'> {
  const announce = () => {
    const current = identity.show();
    events.emit('identity.changed', { siteId: current.siteId, signingFingerprint: current.signingKey.fingerprint });
  };
  return {
    'identity.show': () => identity.show(),
    'identity.sshPublicKey': () => identity.sshPublicKey(),
    'identity.init': (input) => {
      const result = identity.init(input);
      announce();
      return result;
    },
    'identity.rotate': (input) => {
      const result = identity.rotate(input);
      announce();
      return result;
    },
  };
}
