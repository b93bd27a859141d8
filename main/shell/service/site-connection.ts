import type { Envelope, EventMessage } from '../../../shared/contract/index.js';
import { callContext, type Core } from '../../app/core.js';
import type { EventStream, StreamOptions } from '../../platform/events.js';

/** What a window or a CLI command is attached to. */
export interface AttachedTo {
  /** 'service': the data dir's site service, over its bridge; 'in-process': a core this process opened itself. */
  kind: 'service' | 'in-process';
  dataDir: string;
  /** The process that runs the site (the service's pid, or this process). */
  pid: number;
  /** Changes when the service restarts: event sequence numbers start again with a new instance. */
  instance: string;
  appVersion: string;
  schemaVersion: number;
}

export type ConnectionState = { state: 'attached'; to: AttachedTo } | { state: 'reconnecting'; reason: string } | { state: 'refused'; reason: string; hint?: string };

/** An events stream of a connection; `live` resolves once events emitted from then on reach it (a socket is open). */
export interface SiteEventStream extends EventStream {
  /** Absent where the stream is live at once (in-process); a socket that fails to open resolves it too. */
  readonly live?: Promise<void>;
  /**
   * Resolves once the events emitted before it was called have been delivered (they travel apart from a call's
   * answer, so a CLI job waits for its last progress events before it prints its result). Absent: at once.
   */
  settled?(): Promise<void>;
}

/**
 * The one way a shell reaches the site: the same calls and events whether the core runs in this
 * process or in the data dir's service. Windows attach and detach; they never own the site.
 */
export interface SiteConnection {
  invoke(name: string, input: unknown, origin: 'cli' | 'ui' | 'electron', signal?: AbortSignal): Promise<Envelope>;
  /** Events after `options.after` (see EventStream); delivery starts once the stream is live. */
  openEvents(send: (message: EventMessage) => void, options?: StreamOptions): SiteEventStream;
  attachedTo(): AttachedTo;
  /** Attachment changes (a service restarted: a new instance; refused: a newer schema). Returns the unsubscribe. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Detaches; the site keeps running. */
  close(): Promise<void>;
}

/** A core opened by this very process (no service runs): the CLI's fallback and the tests' shortcut. */
export function inProcessConnection(core: Core, info: { instance: string; appVersion: string; schemaVersion: number }): SiteConnection {
  return {
    invoke: (name, input, origin, signal) => core.dispatcher.invoke(name, input, callContext(origin, signal)),
    openEvents: (send, options) => core.events.open(send, options),
    attachedTo: () => ({ kind: 'in-process', dataDir: core.layout.root, pid: process.pid, ...info }),
    onState: () => () => undefined,
    close: () => Promise.resolve(core.close()),
  };
}
