import type { BreakerState } from '../../../shared/domain/router.js';

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  failures: number;
  /** First cool-down; it doubles after each failed trial, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
}

/**
 * A per-endpoint circuit breaker. Closed: traffic flows and consecutive failures
 * are counted. Open: nothing is sent until the cool-down has passed. Half-open:
 * exactly one trial (a request or a probe) may run; its outcome closes the
 * breaker or re-opens it with a longer cool-down. Time comes in as `now` (ms),
 * so the machine is testable without sleeping.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private cooldown: number;
  private trialRunning = false;

  constructor(private settings: BreakerSettings) {
    this.cooldown = settings.cooldownMs;
  }

  reconfigure(settings: BreakerSettings): void {
    this.settings = settings;
    if (this.current === 'closed') this.cooldown = settings.cooldownMs;
  }

  state(now: number): BreakerState {
    if (this.current === 'open' && now - this.openedAt >= this.cooldown) this.current = 'half-open';
    return this.current;
  }

  /** May a request (or probe) go to this endpoint now? A true answer in half-open claims the one trial. */
  tryAcquire(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    if (state === 'open' || this.trialRunning) return false;
    this.trialRunning = true;
    return true;
  }

  /** Would `tryAcquire` succeed, without claiming the trial (for choosing among candidates). */
  allows(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half-open' && !this.trialRunning);
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.trialRunning = false;
    this.current = 'closed';
    this.cooldown = this.settings.cooldownMs;
  }

  recordFailure(now: number): void {
    const state = this.state(now);
    this.trialRunning = false;
    if (state === 'half-open') {
      this.cooldown = Math.min(this.cooldown * 2, this.settings.maxCooldownMs);
      this.open(now);
      return;
    }
    if (state === 'open') return;
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.settings.failures) this.open(now);
  }

  /** A trial that ended without a verdict (the client left) gives the trial back. */
  releaseTrial(): void {
    this.trialRunning = false;
  }

  private open(now: number): void {
    this.current = 'open';
    this.openedAt = now;
    this.consecutiveFailures = 0;
  }
}
