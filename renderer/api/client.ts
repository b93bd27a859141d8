import type { CallInput, CallName, CallOutput, EventMessage, EventName, EventPayload } from '../../shared/contract/index.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { LinkState, Transport } from './transport.js';

export class CallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint: string | undefined,
    /** Bad input: what was wrong with each field, to show beside it. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The typed client derived from the contract: one generic invoke, no per-call code. */
export class OutpostClient {
  private readonly listeners = new Set<(message: EventMessage) => void>();
  private unsubscribe: (() => void) | undefined;
  private lastSeen = 0;
  private readonly linkListeners = new Set<(state: LinkState) => void>();
  private link: Exclude<LinkState, 'restarted'> = 'live';

  constructor(private readonly transport: Transport) {}

  /** Whether the events link is up (`live`) or waiting for the site service to answer again. */
  linkState(): Exclude<LinkState, 'restarted'> {
    return this.link;
  }

  /** Link changes; `restarted`: the site service is a new process, so every page fetches what it shows again. */
  onLink(listener: (state: LinkState) => void): () => void {
    this.linkListeners.add(listener);
    return () => {
      this.linkListeners.delete(listener);
    };
  }

  async call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
    const envelope = await this.transport.invoke(name, input);
    if (!envelope.ok) throw new CallError(envelope.error.code, envelope.error.message, envelope.error.hint, envelope.error.fields);
    return envelope.result as CallOutput<K>;
  }

  /**
   * One transport subscription (one WebSocket in browser mode), fanned out to every page's
   * listeners. The window's first subscription starts with what the core emitted before the
   * page was ready; one made again after every page let go resumes after the last event seen.
   */
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
    const filtered = (message: EventMessage) => {
      if (message.name === name) listener(message.payload as EventPayload<K>);
    };
    this.listeners.add(filtered);
    this.unsubscribe ??= this.transport.subscribe(
      (message) => {
        // A restarted service numbers from 1 again: the transport already resumed from its start.
        this.lastSeen = message.seq;
        this.listeners.forEach((l) => l(message));
      },
      this.lastSeen,
      (state) => {
        this.link = state === 'reconnecting' ? 'reconnecting' : 'live';
        this.linkListeners.forEach((l) => l(state));
      },
    );
    return () => {
      this.listeners.delete(filtered);
      if (this.listeners.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
      }
    };
  }
}
