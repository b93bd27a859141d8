/**
 * A decaying estimate of an endpoint's time to first token. Each sample moves the
 * estimate by a weight that grows with the time since the previous sample (so a
 * burst of samples does not erase history, and a sample after a quiet spell counts
 * fully), never below `minWeight` so a slowdown shows within a few requests. After
 * `memoryMs` without samples the estimate is forgotten: an endpoint that was once
 * slow and then avoided gets traffic again and is re-measured.
 */
export class DecayingLatency {
  private value: number | null = null;
  private lastAt = 0;

  constructor(
    private memoryMs: number,
    private readonly timeConstantMs = 5_000,
    private readonly minWeight = 0.2,
  ) {}

  setMemory(memoryMs: number): void {
    this.memoryMs = memoryMs;
  }

  record(sampleMs: number, now: number): void {
    if (this.value === null || now - this.lastAt > this.memoryMs) {
      this.value = sampleMs;
    } else {
      const weight = Math.max(this.minWeight, 1 - Math.exp(-(now - this.lastAt) / this.timeConstantMs));
      this.value += weight * (sampleMs - this.value);
    }
    this.lastAt = now;
  }

  estimate(now: number): number | null {
    if (this.value === null || now - this.lastAt > this.memoryMs) return null;
    return this.value;
  }
}

export interface LoadFigures {
  /** Decaying TTFT (ms), null when unmeasured. */
  ttftMs: number | null;
  /** Decaying total request time (ms), null when unmeasured. */
  durationMs: number | null;
  inFlight: number;
  slots: number;
}

/**
 * Expected time to first token for one more request: the measured TTFT plus the
 * wait behind requests that already fill every slot (each slot frees after about
 * one measured request duration). null means "not measured": such an endpoint is
 * given the benefit of the doubt and measured by the request itself.
 */
export function expectedTtftMs(load: LoadFigures): number | null {
  if (load.ttftMs === null) return null;
  const queued = Math.max(0, load.inFlight + 1 - load.slots);
  const wait = queued === 0 ? 0 : (queued * (load.durationMs ?? load.ttftMs)) / load.slots;
  return load.ttftMs + wait;
}
