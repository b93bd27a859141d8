import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { EventMessage } from '../../../shared/contract/index.js';
import type { SiteProcess } from '../../../shared/domain/status.js';
import type { StreamOptions } from '../../platform/events.js';
import { EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../bridge/guards.js';
import { callRoute, postToBridge, type BridgeDoor } from './bridge-client.js';
import type { AttachedTo, ConnectionState, SiteConnection, SiteEventStream } from './site-connection.js';

/** What attaching found: the door from service.json and the running service's own answer to system.service. */
export interface FoundService {
  door: BridgeDoor;
  process: SiteProcess;
}

/** Looks for the data dir's service again (the events socket dropped): found, refused (a newer schema), or down. */
export type Rediscover = () => Promise<{ found: FoundService } | { refused: { reason: string; hint?: string } } | { down: string }>;

const RETRY_MS = [250, 500, 1000];
/** How long `settled` waits for the service to echo a ping (a service that stopped answering does not hold a CLI job's result). */
const SETTLE_LIMIT_MS = 2000;

/**
 * A SiteConnection to the data dir's service over its bridge: calls are POSTs with the token, events come over
 * the /events WebSocket, which reconnects by itself when the service restarts (events resume after the last one
 * seen; a new instance starts its numbering again, so they resume from its beginning and listeners hear of it).
 */
export function serviceConnection(dataDir: string, first: FoundService, rediscover: Rediscover): SiteConnection {
  let current = first;
  let state: ConnectionState['state'] = 'attached';
  const listeners = new Set<(state: ConnectionState) => void>();
  const streams = new Set<ServiceEvents>();
  const attachedTo = (): AttachedTo => ({
    kind: 'service',
    dataDir,
    pid: current.process.pid,
    instance: current.process.instance,
    appVersion: current.process.appVersion,
    schemaVersion: current.process.schemaVersion,
  });
  const tell = (next: ConnectionState): void => {
    state = next.state;
    for (const listener of [...listeners]) listener(next);
  };
  const link: StreamLink = {
    door: () => current.door,
    instance: () => current.process.instance,
    down: (reason) => {
      if (state === 'attached') tell({ state: 'reconnecting', reason });
    },
    up: () => {
      if (state !== 'attached') tell({ state: 'attached', to: attachedTo() });
    },
    rediscover: async () => {
      const found = await rediscover();
      if ('found' in found) {
        const restarted = found.found.process.instance !== current.process.instance;
        current = found.found;
        if (restarted) tell({ state: 'attached', to: attachedTo() });
      } else if ('refused' in found) {
        if (state !== 'refused') tell({ state: 'refused', ...found.refused });
      } else {
        link.down(found.down);
      }
      return found;
    },
  };
  return {
    async invoke(name, input, origin, signal) {
      const callId = randomBytes(16).toString('base64url');
      const door = current.door;
      const request = postToBridge(door, callRoute(name), input, { actor: origin, callId });
      let answered = false;
      const cancel = async (): Promise<void> => {
        // The call stops in the service and still answers (a cancelled job's partial result); a bridge that
        // cannot be asked (or never heard of the call) has the request closed on it, which aborts the call too.
        for (let attempt = 0; attempt < 10 && !answered; attempt++) {
          const reply = await postToBridge(door, `/cancel/${callId}`, {}, { timeoutMs: 2000 }).answer;
          if (!reply.ok) break;
          if ((reply.result as { cancelled?: boolean }).cancelled) return;
          await sleep(100);
        }
        if (!answered) request.destroy();
      };
      const onAbort = (): void => void cancel();
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await request.answer;
      } finally {
        answered = true;
        signal?.removeEventListener('abort', onAbort);
      }
    },
    openEvents(send, options) {
      const stream = new ServiceEvents(link, send, options, () => streams.delete(stream));
      streams.add(stream);
      return stream;
    },
    attachedTo,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      for (const stream of [...streams]) stream.close();
      listeners.clear();
    },
  };
}

/** What one events socket needs from its connection. */
interface StreamLink {
  door(): BridgeDoor;
  instance(): string;
  down(reason: string): void;
  up(): void;
  rediscover: () => ReturnType<Rediscover>;
}

/** One /events WebSocket that follows the service across its restarts. */
class ServiceEvents implements SiteEventStream {
  readonly live: Promise<void>;
  private markLive!: () => void;
  private socket: WebSocket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retries = 0;
  private closed = false;
  private paused = false;
  /** The instance whose numbering `lastSeen` counts in. */
  private instance: string;
  private lastSeen: number | undefined;

  constructor(
    private readonly link: StreamLink,
    private readonly send: (message: EventMessage) => void,
    private readonly options: StreamOptions | undefined,
    private readonly onClose: () => void,
  ) {
    this.live = new Promise((resolve) => (this.markLive = resolve));
    this.instance = link.instance();
    this.connect(this.options?.after);
  }

  /** `after`: undefined for live events only (the bridge's `?after=live`). */
  private connect(after: number | undefined): void {
    const door = this.link.door();
    const socket = new WebSocket(`ws://127.0.0.1:${door.port}/events?after=${after ?? 'live'}`, [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${door.token}`]);
    this.socket = socket;
    socket.on('open', () => {
      this.retries = 0;
      if (this.paused) socket.pause();
      this.link.up();
      this.markLive();
    });
    socket.on('message', (data: WebSocket.RawData) => {
      let message: EventMessage;
      try {
        message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8')) as EventMessage;
      } catch {
        return; // the bridge sends JSON only; anything else is not an event
      }
      this.lastSeen = message.seq;
      this.send(message);
    });
    // A refused or failed handshake ends in 'close' too; the reason is told there.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // A call made now must not wait for a socket that is not coming: it fails (or succeeds) on its own.
      this.markLive();
      if (this.closed || socket !== this.socket) return;
      this.link.down('the connection to the site service dropped');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const delay = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)] ?? 1000;
    this.retries += 1;
    this.retry = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    const found = await this.link.rediscover();
    if (this.closed || 'refused' in found) return;
    if ('down' in found) return this.scheduleReconnect();
    if (found.found.process.instance !== this.instance) {
      // A restarted service numbers its events from 1 again: everything it holds is new to us.
      this.instance = found.found.process.instance;
      this.lastSeen = undefined;
      return this.connect(0);
    }
    this.connect(this.lastSeen ?? this.options?.after);
  }

  /** A ping's pong comes back behind every event the service queued on this socket before it. */
  settled(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.paused) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(limit);
        socket.off('pong', done).off('close', done);
        resolve();
      };
      const limit = setTimeout(done, SETTLE_LIMIT_MS);
      socket.once('pong', done).once('close', done);
      socket.ping();
    });
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.terminate();
    this.markLive();
    this.onClose();
  }
}
