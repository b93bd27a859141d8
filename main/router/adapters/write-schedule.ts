/**
 * When a stream's token bytes are written to its client: after the event loop's poll phase, in slices
 * (see writeLater). One schedule for every stream of the router process.
 */

/** Token bytes of one stream waiting for the end of the event loop's poll phase. */
export interface LaterWrites {
  bytes: Buffer[];
  /** Whether it is in `waiting` (a flag instead of a Set: the set would grow and shrink by hundreds every burst). */
  queued: boolean;
  flush: () => void;
}

let waiting: LaterWrites[] = [];
let waitingFrom = 0;
let endings: Array<() => void> = [];
let endingsFrom = 0;
let flushScheduled = false;

/**
 * Tokens after a stream's first are written once the event loop has handled every socket that was
 * ready (setImmediate runs after the poll phase). An LLM server emits a token for every running
 * sequence at the same moment, so they arrive here in bursts; writing them later lets the new
 * requests and first tokens in that burst go out first, which is what time to first byte measures.
 * They go out a slice at a time, with a poll phase between slices, so that a request or first token
 * arriving meanwhile waits for one slice, not for the whole burst. A stream's end and errors flush its
 * waiting bytes first, so order is kept.
 */
export function writeLater(later: LaterWrites, bytes: Buffer): void {
  later.bytes.push(bytes);
  if (later.queued) return;
  later.queued = true;
  waiting.push(later);
  scheduleFlush();
}

/**
 * A stream that ends while token writes are waiting ends after them. A client that works in a loop (an
 * agent, a batch job) sends its next request as soon as it reads the end of the last one; written in the
 * middle of a burst, that request arrived while the router was still writing the rest of the burst and
 * waits for it. Written last, the next request finds the router done; the last token waits only for the
 * burst's other writes. With no token writes waiting (one-token answers, an instant upstream) there is no
 * burst to get out of the way, and waiting for the poll phase would only delay the client's next request:
 * ends go out at once then.
 */
export function endLater(end: () => void): void {
  endings.push(end);
  scheduleFlush();
}

export function tokenWritesWaiting(): boolean {
  return waitingFrom < waiting.length;
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushWaiting);
}

const STREAMS_PER_SLICE = 32;

function flushWaiting(): void {
  flushScheduled = false;
  let budget = STREAMS_PER_SLICE;
  for (; budget > 0 && waitingFrom < waiting.length; budget -= 1, waitingFrom += 1) {
    const later = waiting[waitingFrom] as LaterWrites;
    later.queued = false;
    later.flush();
  }
  if (waitingFrom === waiting.length) {
    waiting = [];
    waitingFrom = 0;
    for (; budget > 0 && endingsFrom < endings.length; budget -= 1, endingsFrom += 1) (endings[endingsFrom] as () => void)();
    if (endingsFrom === endings.length) {
      endings = [];
      endingsFrom = 0;
    }
  }
  if (waiting.length > 0 || endings.length > 0) scheduleFlush();
}
