import type { Envelope } from '../../../shared/contract/index.js';
import { errorEnvelope } from '../../../shared/contract/index.js';
import type { EventStream } from '../../platform/events.js';
import type { SiteConnection } from '../service/site-connection.js';

/** The single IPC channel for calls, and the single one for events: nothing per call. */
export const INVOKE_CHANNEL = 'outpost:invoke';
export const EVENT_CHANNEL = 'outpost:event';
/** The page asks for its events here (with the last `seq` it saw), and stops them on the second. */
export const SUBSCRIBE_CHANNEL = 'outpost:subscribe';
export const UNSUBSCRIBE_CHANNEL = 'outpost:unsubscribe';
/** The link to the site service: 'reconnecting', 'live' again, or 'restarted' (the page fetches again). */
export const LINK_CHANNEL = 'outpost:link';

/**
 * The IPC transport, kept free of Electron imports so it is tested like the
 * other two. `senderUrl` is the URL of the frame that sent the message: only
 * our own page (loaded from the app's files) may call the site.
 */
export function createIpcHandler(site: Pick<SiteConnection, 'invoke'>, isOwnPage: (senderUrl: string) => boolean) {
  return async (senderUrl: string, name: unknown, input: unknown): Promise<Envelope> => {
    if (!isOwnPage(senderUrl)) {
      return errorEnvelope({ code: 'FORBIDDEN', message: 'calls are accepted only from the Outpost window' });
    }
    if (typeof name !== 'string') {
      return errorEnvelope({ code: 'INVALID_INPUT', message: 'the call name must be a string' });
    }
    return site.invoke(name, input, 'electron');
  };
}

/**
 * Events for each page that asked for them, from the moment it is ready: one stream per
 * page (webContents id), replaced when the page subscribes again (a reload), with the
 * backlog the site still holds or what came after the last `seq` the page saw.
 */
export function createEventRelay(site: Pick<SiteConnection, 'openEvents'>, isOwnPage: (senderUrl: string) => boolean) {
  const streams = new Map<number, EventStream>();
  const unsubscribe = (pageId: number): void => {
    streams.get(pageId)?.close();
    streams.delete(pageId);
  };
  return {
    subscribe(pageId: number, senderUrl: string, after: unknown, send: (message: unknown) => void): void {
      if (!isOwnPage(senderUrl)) return;
      unsubscribe(pageId);
      const seq = typeof after === 'number' && Number.isSafeInteger(after) && after >= 0 ? after : 0;
      streams.set(pageId, site.openEvents(send, { after: seq }));
    },
    unsubscribe,
    /** Every page's stream, when the window detaches from the site. */
    closeAll(): void {
      for (const pageId of [...streams.keys()]) unsubscribe(pageId);
    },
  };
}

/** The native file dialog, on its own channel: the page gets a path (or null), never a file's content. */
export const PICK_FILE_CHANNEL = 'outpost:pick-file';

const FILE_PICKS = {
  'open-trust-file': { kind: 'open', title: "Choose the peer's trust file" },
  'save-trust-file': { kind: 'save', title: "Save this site's trust file", defaultPath: 'outpost.trust.json' },
} as const;

export type FilePickDialog = (options: { kind: 'open' | 'save'; title: string; defaultPath?: string; filters: Array<{ name: string; extensions: string[] }> }) => Promise<string | null>;

/** Only our own page may open a dialog, and only one of the picks the window knows; anything else answers null. */
export function createPickFileHandler(isOwnPage: (senderUrl: string) => boolean, showDialog: FilePickDialog) {
  return async (senderUrl: string, pick: unknown): Promise<string | null> => {
    if (!isOwnPage(senderUrl) || typeof pick !== 'string' || !Object.prototype.hasOwnProperty.call(FILE_PICKS, pick)) return null;
    const options = FILE_PICKS[pick as keyof typeof FILE_PICKS];
    return showDialog({
      ...options,
      filters: [
        { name: 'Trust files', extensions: ['json'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
  };
}
