import { events, type EventMessage, type EventName, type EventPayload } from '../../shared/contract/index.js';
import type { Logger } from './log.js';

export type EventListener = (message: EventMessage) => void;

/** The one core→window stream. Payloads are checked against the contract before they leave. */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly log: Logger) {}

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const checked = events[name].payload.safeParse(payload);
    if (!checked.success) {
      this.log.error('an event did not match its declared payload', { event: name });
      return;
    }
    const message = { name, payload: checked.data, at: new Date().toISOString() } as EventMessage;
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        this.log.error('an event listener failed', { event: name, error: String(error) });
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
