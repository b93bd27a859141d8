import type { Endpoint, EndpointStats, RouterPolicy } from '../../../shared/domain/router.js';
import { ApiKeyRing, type ApiKeyRecord } from './api-keys.js';
import { CircuitBreaker, type BreakerSettings } from './breaker.js';
import { DecayingLatency, expectedTtftMs } from './latency.js';
import { chooseEndpoint, modelRoutes, type Candidate, type ModelRoutes, type RouteDecision } from './select.js';

/** What the router process reads from the store: the whole routing configuration at one version. */
export interface RouterConfig {
  version: number;
  endpoints: Endpoint[];
  keys: ApiKeyRecord[];
  policy: RouterPolicy;
}

const SPARKLINE_POINTS = 40;

/** One endpoint's live state in the router; it survives config reloads that keep the endpoint. */
export class EndpointState {
  readonly breaker: CircuitBreaker;
  readonly ttft: DecayingLatency;
  readonly duration: DecayingLatency;
  inFlight = 0;
  healthy: boolean | null = null;
  requests = 0;
  failures = 0;
  private readonly recent: number[] = [];

  constructor(
    public spec: Endpoint,
    policy: RouterPolicy,
  ) {
    this.breaker = new CircuitBreaker(breakerSettings(policy));
    this.ttft = new DecayingLatency(policy.latencyMemoryMs);
    this.duration = new DecayingLatency(policy.latencyMemoryMs);
  }

  reconfigure(spec: Endpoint, policy: RouterPolicy): void {
    this.spec = spec;
    this.breaker.reconfigure(breakerSettings(policy));
    this.ttft.setMemory(policy.latencyMemoryMs);
    this.duration.setMemory(policy.latencyMemoryMs);
  }

  recordTtft(ms: number, now: number): void {
    this.ttft.record(ms, now);
    this.recent.push(Math.round(ms * 10) / 10);
    if (this.recent.length > SPARKLINE_POINTS) this.recent.shift();
  }

  candidate(now: number): Candidate {
    return {
      name: this.spec.name,
      tier: this.spec.tier,
      inFlight: this.inFlight,
      available: this.breaker.allows(now),
      breaker: this.breaker.state(now),
      expectedTtftMs: expectedTtftMs({ ttftMs: this.ttft.estimate(now), durationMs: this.duration.estimate(now), inFlight: this.inFlight, slots: this.spec.slots }),
    };
  }

  stats(now: number): EndpointStats {
    const ttft = this.ttft.estimate(now);
    return {
      name: this.spec.name,
      tier: this.spec.tier,
      healthy: this.healthy,
      breaker: this.breaker.state(now),
      inFlight: this.inFlight,
      ttftMs: ttft === null ? null : Math.round(ttft * 10) / 10,
      recentTtftMs: [...this.recent],
      requests: this.requests,
      failures: this.failures,
    };
  }
}

function breakerSettings(policy: RouterPolicy): BreakerSettings {
  return { failures: policy.breakerFailures, cooldownMs: policy.breakerCooldownMs, maxCooldownMs: Math.max(policy.breakerCooldownMs, 60_000) };
}

/**
 * The router's view of its configuration plus each endpoint's live state.
 * `apply` swaps in a new configuration: endpoints that stay keep their breaker,
 * measurements and in-flight count; requests already running hold their own
 * EndpointState, so a removed endpoint's streams finish undisturbed.
 */
export class RoutingTable {
  private config: RouterConfig = { version: 0, endpoints: [], keys: [], policy: undefined as unknown as RouterPolicy };
  private readonly states = new Map<string, EndpointState>();
  /** Removed endpoints whose streams still run: a rollout drains them before stopping the engine behind. */
  private readonly retired = new Set<EndpointState>();
  private routes = new Map<string, ModelRoutes>();
  private keys = new ApiKeyRing([]);
  private ties = 0;

  get version(): number {
    return this.config.version;
  }

  get policy(): RouterPolicy {
    return this.config.policy;
  }

  apply(config: RouterConfig): { added: string[]; removed: Endpoint[] } {
    const added: string[] = [];
    const keep = new Set(config.endpoints.map((e) => e.name));
    const removed = [...this.states.values()].filter((state) => !keep.has(state.spec.name)).map((state) => state.spec);
    for (const spec of removed) {
      const state = this.states.get(spec.name);
      if (state && state.inFlight > 0) this.retired.add(state);
      this.states.delete(spec.name);
    }
    for (const spec of config.endpoints) {
      const state = this.states.get(spec.name);
      if (state) state.reconfigure(spec, config.policy);
      else {
        this.states.set(spec.name, new EndpointState(spec, config.policy));
        added.push(spec.name);
      }
    }
    const models = new Set(config.endpoints.flatMap((e) => e.models));
    this.routes = new Map(
      [...models].sort().map((model) => [
        model,
        modelRoutes(
          model,
          config.endpoints.filter((e) => e.models.includes(model)),
        ),
      ]),
    );
    this.keys = new ApiKeyRing(config.keys);
    this.config = config;
    return { added, removed };
  }

  /** Removed endpoints with requests still in flight on them (finished ones are forgotten here). */
  draining(): Array<{ name: string; inFlight: number }> {
    for (const state of this.retired) if (state.inFlight === 0) this.retired.delete(state);
    return [...this.retired].map((state) => ({ name: state.spec.name, inFlight: state.inFlight }));
  }

  models(): string[] {
    return [...this.routes.keys()];
  }

  servesModel(model: string): boolean {
    return this.routes.has(model);
  }

  /** The key record of a presented API key, or null when it is not valid here. */
  verifyKey(presented: string): ApiKeyRecord | null {
    return this.keys.verify(presented);
  }

  endpoint(name: string): EndpointState | undefined {
    return this.states.get(name);
  }

  endpoints(): EndpointState[] {
    return [...this.states.values()];
  }

  choose(model: string, query: { budgetMs: number | null; affinityKey: string | null; exclude: ReadonlySet<string> }, now: number): RouteDecision {
    const routes = this.routes.get(model);
    if (!routes) return { ok: false, overBudget: false, reason: `no endpoint serves ${model}` };
    this.ties = (this.ties + 1) % 1_000_000;
    return chooseEndpoint(routes, (name) => this.states.get(name)?.candidate(now), {
      ...query,
      loadSlack: this.config.policy.affinityLoadSlack,
      tieBreak: this.ties,
    });
  }
}
