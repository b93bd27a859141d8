import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../core/ports.js';

/** The wall clock, a monotonic clock for durations, and Node's timers; `later` timers are unref'd so a background round never holds the process open. */
export function systemClock(now: () => Date): Clock {
  return {
    now,
    elapsedMs: () => performance.now(),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    later: (ms, task) => {
      const timer = setTimeout(task, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
