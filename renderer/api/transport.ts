import type { Envelope, EventMessage } from '../../shared/contract/index.js';

/**
 * The window's link to the site: `live`, or `reconnecting` while the site service does not answer, or
 * `restarted` once it is back as a new process (its events are numbered afresh: what the page shows must be fetched again).
 */
export type LinkState = 'live' | 'reconnecting' | 'restarted';

/**
 * How the window reaches the core: Electron IPC or the browser bridge. Both carry the same
 * envelopes. `subscribe` starts after event `after` (0: everything the core still holds);
 * `onLink` hears of the link's state where the transport knows it.
 */
export interface Transport {
  invoke(name: string, input: unknown): Promise<Envelope>;
  subscribe(listener: (message: EventMessage) => void, after?: number, onLink?: (state: LinkState) => void): () => void;
}

/** What a native file dialog is asked for: a trust file to read, or where to write one. */
export type FilePick = 'open-trust-file' | 'save-trust-file';

/**
 * What Electron's preload exposes on `window.outpost`: the transport, nothing per call, and the native file
 * dialog (a path to hand to a call; the browser has none, so there the path is typed).
 */
export type PreloadApi = Transport & { pickFile?: (pick: FilePick) => Promise<string | null> };

declare global {
  interface Window {
    outpost?: PreloadApi;
  }
}

const TOKEN_KEY = 'outpost.bridgeToken';
const EVENTS_PROTOCOL = 'outpost.events.v1';
const TOKEN_PROTOCOL_PREFIX = 'outpost.token.';

/**
 * The bridge's token arrives in the URL fragment (never sent to a server); it
 * is moved to sessionStorage and removed from the address bar at once, so it
 * does not end up in screenshots or history.
 */
export function takeBridgeToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', `${window.location.pathname}#/overview`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const RECONNECT_MS = 2000;

export function bridgeTransport(token: string): Transport {
  const invoke = async (name: string, input: unknown): Promise<Envelope> => {
    try {
      const response = await fetch(`./rpc/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(input ?? {}),
      });
      return (await response.json()) as Envelope;
    } catch {
      return { ok: false, error: { code: 'UNAVAILABLE', message: "the data dir's site service does not answer", hint: 'is it still running? `outpost ui` starts it again and prints the URL to open' } };
    }
  };
  return {
    invoke,
    subscribe(listener, after = 0, onLink) {
      let socket: WebSocket | undefined;
      let stopped = false;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let lastSeen = after;
      /** The service process the events are numbered by; a new one (a restart) numbers them from 1 again. */
      let instance: string | undefined;
      let dropped = false;
      /** A restart seen but not yet told (its socket has not opened). */
      let restartUntold = false;
      const tryLater = () => {
        if (stopped) return;
        if (!dropped) onLink?.('reconnecting');
        dropped = true;
        retry = setTimeout(() => void connect(), RECONNECT_MS);
      };
      const connect = async () => {
        // Which process answers decides where the stream resumes: after the last event seen, or from the start.
        const service = await invoke('system.service', {});
        if (stopped) return;
        if (!service.ok) return tryLater();
        const now = (service.result as { instance: string }).instance;
        if (instance !== undefined && now !== instance) {
          lastSeen = 0;
          restartUntold = true;
        }
        instance = now;
        const url = new URL('./events', window.location.href);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        url.hash = '';
        url.search = `?after=${lastSeen}`;
        const opened = new WebSocket(url, [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
        socket = opened;
        opened.onopen = () => {
          if (dropped) onLink?.(restartUntold ? 'restarted' : 'live');
          dropped = false;
          restartUntold = false;
        };
        opened.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as EventMessage;
          lastSeen = Math.max(lastSeen, message.seq);
          listener(message);
        };
        // The service may restart (systemd, the next `outpost ui`): keep trying rather than giving up.
        opened.onclose = tryLater;
      };
      void connect();
      return () => {
        stopped = true;
        clearTimeout(retry);
        socket?.close();
      };
    },
  };
}

export function pickTransport(): Transport | null {
  if (window.outpost) return window.outpost;
  const token = takeBridgeToken();
  return token ? bridgeTransport(token) : null;
}
