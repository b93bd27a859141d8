import type { RoutingTable } from '../core/routing-table.js';
import type { RouterMetrics } from './metrics.js';
import type { UpstreamPools } from './upstream.js';

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Active health checks: every endpoint's `GET /v1/models`, on the policy's
 * interval. A failed probe counts against the breaker like a failed request; a
 * successful one is the trial that closes a half-open breaker, so an endpoint
 * that came back is used again without a client paying for the test.
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly table: RoutingTable,
    private readonly pools: UpstreamPools,
    private readonly metrics: RouterMetrics,
  ) {}

  start(): void {
    const tick = () => {
      void this.probeAll().finally(() => {
        if (this.running) this.timer = setTimeout(tick, this.table.policy.probeIntervalMs);
      });
    };
    this.running = true;
    tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  async probeAll(): Promise<void> {
    await Promise.all(
      this.table.endpoints().map(async (state) => {
        const ok = await this.probe(state.spec.name);
        if (this.table.endpoint(state.spec.name) !== state) return; // removed meanwhile
        state.healthy = ok;
        const now = Date.now();
        if (!ok) state.breaker.recordFailure(now);
        else if (state.breaker.state(now) === 'half-open' && state.breaker.tryAcquire(now)) state.breaker.recordSuccess();
        this.metrics.endpointState(state.spec.name, state.spec.tier, state.breaker.state(now), state.healthy);
      }),
    );
  }

  private async probe(endpoint: string): Promise<boolean> {
    try {
      const response = await this.pools.request(endpoint, { method: 'GET', path: '/v1/models', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headersTimeout: PROBE_TIMEOUT_MS, bodyTimeout: PROBE_TIMEOUT_MS });
      await response.body.dump();
      return response.statusCode < 500;
    } catch {
      return false;
    }
  }
}
