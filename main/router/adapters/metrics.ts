import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState, Tier } from '../../../shared/domain/router.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * The router's Prometheus metrics, on their own registry (so tests and a second router never share counters).
 * In-flight counts are read from the routing table when scraped, not set on every request.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'outpost_router_requests_total',
    help: 'Attempts by model, endpoint, tier and final status (HTTP code, or stream_error: broke after the first byte, moved on when outpost_router_migrations_total says so; client_closed).',
    labelNames: ['model', 'endpoint', 'tier', 'status'] as const,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: 'outpost_router_ttft_seconds',
    help: 'Time from the request reaching the router to the first byte sent to the client.',
    labelNames: ['model', 'endpoint', 'tier'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly total = new Histogram({
    name: 'outpost_router_request_duration_seconds',
    help: 'Time from the request reaching the router to the last byte sent.',
    labelNames: ['model', 'endpoint', 'tier'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly tokenRate = new Histogram({
    name: 'outpost_router_tokens_per_second',
    help: 'Streamed chunks (tokens) per second after the first, per response.',
    labelNames: ['model', 'endpoint'] as const,
    buckets: [1, 5, 10, 20, 30, 50, 75, 100, 200, 500],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'outpost_router_retries_total',
    help: 'Attempts that failed before the first byte and were retried elsewhere.',
    labelNames: ['model', 'endpoint', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly migrations = new Counter({
    name: 'outpost_router_migrations_total',
    help: 'Streams moved to another endpoint after their first token, by the endpoint that broke them and how the move ended: continued (the stream reached its end), failed (the continuation broke or failed before any output), no_endpoint (none was left to continue on), client_closed.',
    labelNames: ['model', 'from', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly streamFailures = new Counter({
    name: 'outpost_router_stream_failures_total',
    help: 'Completion requests that failed as the client saw it, by stage: before_first_token (an error answer once retries were spent) or after_first_token (an error event or a cut stream, once migration could not continue it).',
    labelNames: ['model', 'stage'] as const,
    registers: [this.registry],
  });
  private readonly breaker = new Gauge({ name: 'outpost_router_breaker_state', help: 'Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open.', labelNames: ['endpoint', 'tier'] as const, registers: [this.registry] });
  private readonly healthy = new Gauge({ name: 'outpost_router_endpoint_up', help: 'Last active probe per endpoint: 1 answered, 0 failed.', labelNames: ['endpoint', 'tier'] as const, registers: [this.registry] });
  /**
   * Label-bound children by their label values: prom-client hashes a label object on every call, and these
   * are called for every request. Label values are bounded (models, endpoints, tiers, statuses).
   */
  private readonly requestChildren = new Map<string, { inc: () => void }>();
  private readonly timingChildren = new Map<string, { ttft: { observe: (v: number) => void }; total: { observe: (v: number) => void }; tokenRate: { observe: (v: number) => void } }>();
  private readonly configVersion = new Gauge({ name: 'outpost_router_config_version', help: 'The store config version the router runs with.', registers: [this.registry] });

  constructor(inFlightNow: () => Iterable<{ endpoint: string; tier: Tier; inFlight: number }>) {
    const gauge: Gauge<'endpoint' | 'tier'> = new Gauge({
      name: 'outpost_router_in_flight',
      help: 'Requests in flight per endpoint.',
      labelNames: ['endpoint', 'tier'] as const,
      registers: [this.registry],
      collect: () => {
        gauge.reset();
        for (const { endpoint, tier, inFlight } of inFlightNow()) gauge.set({ endpoint, tier }, inFlight);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'outpost_router_' });
  }

  request(labels: { model: string; endpoint: string; tier: Tier | 'none'; status: string }): void {
    const key = `${labels.model}\n${labels.endpoint}\n${labels.tier}\n${labels.status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requests.labels(labels);
      this.requestChildren.set(key, child);
    }
    child.inc();
  }

  timings(labels: { model: string; endpoint: string; tier: Tier }, ttftSeconds: number | null, totalSeconds: number, tokensPerSecond: number | null): void {
    const key = `${labels.model}\n${labels.endpoint}\n${labels.tier}`;
    let children = this.timingChildren.get(key);
    if (!children) {
      children = { ttft: this.ttft.labels(labels), total: this.total.labels(labels), tokenRate: this.tokenRate.labels({ model: labels.model, endpoint: labels.endpoint }) };
      this.timingChildren.set(key, children);
    }
    if (ttftSeconds !== null) children.ttft.observe(ttftSeconds);
    children.total.observe(totalSeconds);
    if (tokensPerSecond !== null) children.tokenRate.observe(tokensPerSecond);
  }

  retry(model: string, endpoint: string, reason: string): void {
    this.retries.inc({ model, endpoint, reason });
  }

  migration(model: string, from: string, outcome: 'continued' | 'failed' | 'no_endpoint' | 'client_closed'): void {
    this.migrations.inc({ model, from, outcome });
  }

  streamFailure(model: string, stage: 'before_first_token' | 'after_first_token'): void {
    this.streamFailures.inc({ model, stage });
  }

  endpointState(endpoint: string, tier: Tier, breaker: BreakerState, healthy: boolean | null): void {
    this.breaker.set({ endpoint, tier }, BREAKER_VALUE[breaker]);
    if (healthy !== null) this.healthy.set({ endpoint, tier }, healthy ? 1 : 0);
  }

  forget(endpoint: string, tier: Tier): void {
    this.breaker.remove({ endpoint, tier });
    this.healthy.remove({ endpoint, tier });
  }

  setConfigVersion(version: number): void {
    this.configVersion.set(version);
  }
}
