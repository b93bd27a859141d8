import type { CallInput, CallName, CallOutput, EventMessage, EventName, EventPayload } from '../../shared/contract/index.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { Transport } from './transport.js';

export class CallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
  }
}

/** The typed client derived from the contract: one generic invoke, no per-call code. */
export class OutpostClient {
  private readonly listeners = new Set<(message: EventMessage) => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly transport: Transport) {}

  async call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> {
    const envelope = await this.transport.invoke(name, input);
    if (!envelope.ok) throw new CallError(envelope.error.code, envelope.error.message, envelope.error.hint);
    return envelope.result as CallOutput<K>;
  }

  /** One transport subscription (one WebSocket in browser mode), fanned out to every page's listeners. */
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
    const filtered = (message: EventMessage) => {
      if (message.name === name) listener(message.payload as EventPayload<K>);
    };
    this.listeners.add(filtered);
    this.unsubscribe ??= this.transport.subscribe((message) => this.listeners.forEach((l) => l(message)));
    return () => {
      this.listeners.delete(filtered);
      if (this.listeners.size === 0) {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
      }
    };
  }
}
