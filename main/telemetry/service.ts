import type { Dashboard, NodeLiveness } from '../../shared/domain/dashboard.js';
import { OutpostError } from '../../shared/errors.js';
import type { Alert, HealthReport, SeriesInfo, SeriesQuery, SeriesResult, TelemetryReport, TelemetrySettings } from '../../shared/domain/telemetry.js';
import type { Deployment } from '../../shared/domain/workers.js';
import type { SiteFacts } from './core/site-facts.js';
import type { TelemetryStore } from './adapters/telemetry-store.js';
import { chartWindow, withEmptyBuckets } from './core/buckets.js';
import { composeDashboard, nodeLiveness, routerWindow } from './core/dashboard.js';
import { assessHealth } from './core/health-rules.js';

export interface TelemetryDeps {
  store: TelemetryStore;
  facts: SiteFacts;
  now: () => Date;
}

/** Rollup rows a site's bundle carries at most (~9 MB of JSON); a longer backlog travels in coarser buckets, not in more rows. */
export const MAX_REPORT_ROWS = 200_000;

/** The dashboard's router tile looks this far back. */
const DASHBOARD_ROUTER_SECONDS = 900;

/** Reads over the stored telemetry: charts, the latest values, alerts, the offline health report, the site's report for HQ. */
export class TelemetryService {
  constructor(private readonly deps: TelemetryDeps) {}

  private nowSeconds(): number {
    return Math.floor(this.deps.now().getTime() / 1000);
  }

  series(query: Omit<SeriesQuery, 'emptyBuckets'> & Partial<Pick<SeriesQuery, 'emptyBuckets'>>): SeriesResult {
    const settings = this.deps.store.settings();
    const window = chartWindow(query, this.nowSeconds(), settings.rawRetentionHours * 3600);
    const lines = this.deps.store.lines(query.metric, query.source, window);
    return {
      from: window.from,
      to: window.to,
      bucketSeconds: window.bucketSeconds,
      resolution: window.resolution,
      lines: query.emptyBuckets === 'null' ? lines.map((line) => ({ ...line, ...withEmptyBuckets(line, window) })) : lines,
    };
  }

  sources(): SeriesInfo[] {
    const staleBefore = this.nowSeconds() - this.deps.store.settings().staleAfterSeconds;
    return this.deps.store.latest().map((s) => ({ source: s.source, metric: s.metric, unit: s.unit, lastTs: s.ts, lastValue: s.value, stale: s.ts === null || s.ts < staleBefore }));
  }

  /**
   * Nodes whose live telemetry stopped. Only meaningful while a sampler runs:
   * when the workstation's own series is stale too, nobody samples, and no node
   * is called silent for it.
   */
  silentNodes(): string[] {
    return nodeLiveness({ nodes: [], sources: this.sources(), keyChanges: [] })
      .filter((n) => n.state === 'silent')
      .map((n) => n.name);
  }

  /** Every inventoried remote node (and any the sampler heard): up, silent since its last sample, or offering a changed host key. */
  nodes(sources: readonly SeriesInfo[] = this.sources()): NodeLiveness[] {
    const { facts } = this.deps;
    return nodeLiveness({ nodes: facts.remoteNodes().map((n) => n.name), sources, keyChanges: facts.hostKeyChanges() });
  }

  acknowledge(key: string): Alert {
    const alert = this.deps.store.acknowledge(key, this.deps.now().toISOString());
    if (!alert) throw new OutpostError('NOT_FOUND', `no active alert "${key}"`, 'list the active alerts with `outpost alerts` (a cleared alert needs no acknowledgement)');
    return alert;
  }

  /** The home page: composed from the health report, alerts, node liveness, deployments, the router's last 15 min and GPU fill. */
  dashboard(): Dashboard {
    const { facts, store } = this.deps;
    const to = this.nowSeconds();
    const from = to - DASHBOARD_ROUTER_SECONDS + 1;
    const seconds = (metric: string) => store.rawSamples('router', metric, from, to);
    const sources = this.sources();
    return composeDashboard({
      health: this.health(),
      alerts: store.alerts(false),
      nodes: this.nodes(sources),
      deployments: facts.liveDeployments(this.deps.now()),
      router: routerWindow({ requests: seconds('router.requests'), errors: seconds('router.errors'), ttftP50: seconds('router.ttft.p50'), ttftP99: seconds('router.ttft.p99') }, DASHBOARD_ROUTER_SECONDS, facts.routerRunning()),
      sources,
    });
  }

  alerts(all: boolean) {
    return this.deps.store.alerts(all);
  }

  settings(): TelemetrySettings {
    return this.deps.store.settings();
  }

  setSettings(changes: Partial<TelemetrySettings>): TelemetrySettings {
    return this.deps.store.setSettings(changes);
  }

  health(): HealthReport {
    const { facts, store } = this.deps;
    const acknowledged = store.exportedUpto(facts.acknowledgedSequences(null));
    return assessHealth(
      {
        now: this.deps.now(),
        role: facts.role(),
        lastExchangeAt: facts.lastExchangeAt(),
        newestModelImportedAt: facts.newestModelImportedAt(),
        keys: facts.activeKeys(),
        unacknowledgedTelemetrySince: store.oldestAfter(acknowledged),
        nodes: facts.remoteNodes().map((n) => ({ name: n.name, lastSeen: n.lastSeen })),
        silentNodes: this.silentNodes(),
        deployments: facts.liveDeployments(this.deps.now()).map((d) => ({ id: d.id, model: d.model, state: d.state, workersDown: d.workers.filter((w) => w.state === 'down').length })),
      },
      store.settings(),
    );
  }

  /**
   * What a site's bundle for `peer` carries: minute rollups since the peer's
   * last acknowledgement (bounded; `upto` is where the next bundle continues)
   * and the deployment state. The cursor is remembered under the bundle's
   * sequence and moves once the peer acknowledges that bundle.
   */
  siteReport(peer: string, sequence: number): { telemetry: TelemetryReport; deployments: Deployment[] } {
    const telemetry = this.deps.store.report(this.deps.store.exportedUpto(this.deps.facts.acknowledgedSequences(peer)), MAX_REPORT_ROWS);
    this.deps.store.noteExport(sequence, telemetry.upto);
    return { telemetry, deployments: this.deps.facts.liveDeployments(this.deps.now()) };
  }
}
