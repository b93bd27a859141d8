import type { Envelope } from '../../../shared/contract/index.js';
import { errorEnvelope } from '../../../shared/contract/index.js';
import { callContext } from '../../app/core.js';
import type { Dispatcher } from '../../platform/dispatcher.js';

/** The single IPC channel for calls, and the single one for events: nothing per call. */
export const INVOKE_CHANNEL = 'outpost:invoke';
export const EVENT_CHANNEL = 'outpost:event';

/**
 * The IPC transport, kept free of Electron imports so it is tested like the
 * other two. `senderUrl` is the URL of the frame that sent the message: only
 * our own page (loaded from the app's files) may call the core.
 */
export function createIpcHandler(dispatcher: Dispatcher, isOwnPage: (senderUrl: string) => boolean) {
  return async (senderUrl: string, name: unknown, input: unknown): Promise<Envelope> => {
    if (!isOwnPage(senderUrl)) {
      return errorEnvelope({ code: 'FORBIDDEN', message: 'calls are accepted only from the Outpost window' });
    }
    if (typeof name !== 'string') {
      return errorEnvelope({ code: 'INVALID_INPUT', message: 'the call name must be a string' });
    }
    return dispatcher.invoke(name, input, callContext('electron'));
  };
}
