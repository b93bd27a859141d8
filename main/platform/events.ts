import { events, type EventMessage, type EventName, type EventPayload } from '../../shared/contract/index.js';
import type { Logger } from './log.js';

export type EventListener = (message: EventMessage) => void;

/** How much one queue holds: the core's backlog, and each subscriber's undelivered events. */
export interface EventLimits {
  events: number;
  /** Serialized (JSON) size of the held events. */
  bytes: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { events: 1000, bytes: 4 * 1024 * 1024 };

export interface StreamOptions {
  /**
   * Replay the held events after this sequence number before the live ones: 0 for the
   * whole backlog since the core started, a window's last seen `seq` when it reconnects.
   * Absent: only events emitted from now on.
   */
  after?: number | undefined;
}

/** One subscriber's ordered stream. A paused stream queues (bounded) until resumed. */
export interface EventStream {
  pause(): void;
  resume(): void;
  close(): void;
}

interface Held {
  message: EventMessage;
  bytes: number;
}

/** FIFO bounded by count and size; overflow drops the oldest and counts it. */
class BoundedQueue {
  private items: Held[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: EventLimits) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** How many of the oldest were dropped to make room. The newest is always kept. */
  push(item: Held): number {
    this.items.push(item);
    this.bytes += item.bytes;
    let dropped = 0;
    while (this.size > 1 && (this.size > this.limits.events || this.bytes > this.limits.bytes)) {
      this.shift();
      dropped += 1;
    }
    return dropped;
  }

  shift(): Held | undefined {
    const item = this.items[this.head];
    if (!item) return undefined;
    this.items[this.head] = undefined as unknown as Held;
    this.head += 1;
    this.bytes -= item.bytes;
    // Compact now and then rather than on every shift: shift() on a large array is O(n).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The held items after sequence number `after`, oldest first. */
  after(after: number): Held[] {
    return this.items.slice(this.head).filter((item) => item.message.seq > after);
  }

  oldestSeq(): number | undefined {
    return this.items[this.head]?.message.seq;
  }
}

class Subscriber implements EventStream {
  private readonly queue: BoundedQueue;
  private missed = 0;
  private paused = false;
  private draining = false;
  private closed = false;

  constructor(
    private readonly listener: EventListener,
    limits: EventLimits,
    private readonly onListenerError: (error: unknown, message: EventMessage) => void,
    private readonly onClose: (subscriber: Subscriber) => void,
  ) {
    this.queue = new BoundedQueue(limits);
  }

  /**
   * Every loss sits just before the oldest queued event (overflow drops the oldest; a
   * replay's gap precedes its first event), so one count, told with the next delivery, is exact.
   */
  enqueue(item: Held, missedBefore = 0): void {
    this.missed += missedBefore + this.queue.push(item);
  }

  drain(): void {
    if (this.draining) return; // an emit from inside a listener: the loop below delivers it, in order
    this.draining = true;
    try {
      while (!this.paused && !this.closed) {
        const item = this.queue.shift();
        if (!item) break;
        const message = this.missed ? { ...item.message, missed: this.missed } : item.message;
        this.missed = 0;
        try {
          this.listener(message);
        } catch (error) {
          this.onListenerError(error, message);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.drain();
  }

  close(): void {
    this.closed = true;
    this.onClose(this);
  }
}

/**
 * The one core→window stream. Payloads are checked against the contract before
 * they leave. The hub holds a bounded backlog with sequence numbers, so a window
 * that subscribes late (or reconnects) gets what it has not seen, in order; each
 * subscriber's own queue is bounded, and a subscriber that lost events is told
 * on the next one it gets (`missed`).
 */
export class EventHub {
  private readonly backlog: BoundedQueue;
  private readonly subscribers = new Set<Subscriber>();
  private seq = 0;

  constructor(
    private readonly log: Logger,
    private readonly limits: EventLimits = DEFAULT_EVENT_LIMITS,
  ) {
    this.backlog = new BoundedQueue(limits);
  }

  /** The sequence number of the last event emitted (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const checked = events[name].payload.safeParse(payload);
    if (!checked.success) {
      this.log.error('an event did not match its declared payload', { event: name });
      return;
    }
    this.seq += 1;
    const message = { name, payload: checked.data, at: new Date().toISOString(), seq: this.seq } as EventMessage;
    const held: Held = { message, bytes: Buffer.byteLength(JSON.stringify(message)) };
    this.backlog.push(held);
    for (const subscriber of [...this.subscribers]) {
      subscriber.enqueue(held);
      subscriber.drain();
    }
  }

  /** Live events from now on, delivered as they are emitted. Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    const stream = this.open(listener);
    return () => stream.close();
  }

  /**
   * A stream that may start with held events (`after`) and may be paused by a slow
   * consumer. Held events are delivered from a microtask, never inside this call, so
   * the caller has its stream in hand before its listener first runs.
   */
  open(listener: EventListener, options: StreamOptions = {}): EventStream {
    const subscriber = new Subscriber(
      listener,
      this.limits,
      (error, message) => this.log.error('an event listener failed', { event: message.name, error: String(error) }),
      (closed) => this.subscribers.delete(closed),
    );
    this.subscribers.add(subscriber);
    if (options.after !== undefined) {
      // A sequence number from the future belongs to another run of the core: replay everything held.
      const after = options.after > this.seq ? 0 : Math.max(0, Math.floor(options.after));
      const replay = this.backlog.after(after);
      const oldest = this.backlog.oldestSeq() ?? this.seq + 1;
      let lost = Math.max(0, Math.min(oldest, this.seq + 1) - after - 1);
      for (const held of replay) {
        subscriber.enqueue(held, lost);
        lost = 0;
      }
      queueMicrotask(() => subscriber.drain());
    }
    return subscriber;
  }
}
