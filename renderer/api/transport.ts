import type { Envelope, EventMessage } from '../../shared/contract/index.js';

/**
 * How the window reaches the core: Electron IPC or the browser bridge. Both carry the same
 * envelopes. `subscribe` starts after event `after` (0: everything the core still holds).
 */
export interface Transport {
  invoke(name: string, input: unknown): Promise<Envelope>;
  subscribe(listener: (message: EventMessage) => void, after?: number): () => void;
}

/** What Electron's preload exposes on `window.outpost` — exactly this, nothing per call. */
export type PreloadApi = Transport;

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

export function bridgeTransport(token: string): Transport {
  return {
    async invoke(name, input) {
      try {
        const response = await fetch(`./rpc/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify(input ?? {}),
        });
        return (await response.json()) as Envelope;
      } catch {
        return { ok: false, error: { code: 'UNAVAILABLE', message: 'the Outpost core does not answer', hint: 'is `outpost ui` still running?' } };
      }
    },
    subscribe(listener, after = 0) {
      let socket: WebSocket | undefined;
      let stopped = false;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let lastSeen = after;
      const connect = () => {
        const url = new URL('./events', window.location.href);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        url.hash = '';
        // A reconnect resumes after the last event seen, so nothing emitted while it was away is lost.
        url.search = `?after=${lastSeen}`;
        socket = new WebSocket(url, [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
        socket.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as EventMessage;
          lastSeen = Math.max(lastSeen, message.seq);
          listener(message);
        };
        // The core may restart; reconnect with a short fixed delay rather than giving up.
        socket.onclose = () => {
          if (!stopped) retry = setTimeout(connect, 2000);
        };
      };
      connect();
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
