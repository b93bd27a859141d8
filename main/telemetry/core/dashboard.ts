import type { Dashboard, GpuFill, NodeLiveness, RouterWindow } from '../../../shared/domain/dashboard.js';
import type { Alert, HealthReport, SeriesInfo } from '../../../shared/domain/telemetry.js';
import type { Deployment } from '../../../shared/domain/workers.js';

/** The value at quantile `q` (0..1) of values each counted `weight` times; null when nothing weighs. */
export function weightedPercentile(points: ReadonlyArray<{ value: number; weight: number }>, q: number): number | null {
  const sorted = points.filter((p) => p.weight > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, p) => sum + p.weight, 0);
  if (total === 0) return null;
  // Nearest rank: the smallest value whose cumulative weight reaches q of the total.
  const rank = Math.max(q * total, Number.MIN_VALUE);
  let seen = 0;
  for (const p of sorted) {
    seen += p.weight;
    if (seen >= rank) return p.value;
  }
  return sorted[sorted.length - 1]?.value ?? null;
}

/** The router's per-second records over a window, as [second, value] pairs per metric. */
export interface RouterSeconds {
  requests: ReadonlyArray<readonly [number, number]>;
  errors: ReadonlyArray<readonly [number, number]>;
  ttftP50: ReadonlyArray<readonly [number, number]>;
  ttftP99: ReadonlyArray<readonly [number, number]>;
}

/**
 * Traffic over the window: totals, a per-minute rate, and TTFT p50/p99. The
 * router keeps no single request's TTFT, so each second's percentile counts
 * as many times as that second had requests: the p50 of the per-second p50s
 * and the p99 of the per-second p99s, weighted by traffic.
 */
export function routerWindow(seconds: RouterSeconds, windowSeconds: number, running: boolean): RouterWindow {
  const requestsAt = new Map(seconds.requests.map(([t, n]) => [t, n]));
  const weighted = (rows: RouterSeconds['ttftP50']) => rows.map(([t, value]) => ({ value, weight: Math.max(1, requestsAt.get(t) ?? 0) }));
  const requests = Math.round(seconds.requests.reduce((sum, [, n]) => sum + n, 0));
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return {
    running,
    windowSeconds,
    requests,
    errors: Math.round(seconds.errors.reduce((sum, [, n]) => sum + n, 0)),
    requestsPerMinute: Math.round((requests / windowSeconds) * 60 * 10) / 10,
    ttftP50Ms: round(weightedPercentile(weighted(seconds.ttftP50), 0.5)),
    ttftP99Ms: round(weightedPercentile(weighted(seconds.ttftP99), 0.99)),
  };
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** The node a series belongs to (`node:<name>` or `gpu:<name>/<index>`), or null for site-wide ones. */
export function nodeOfSource(source: string): string | null {
  const match = /^(?:node:([^/]+)|gpu:([^/]+)\/)/.exec(source);
  return match?.[1] ?? match?.[2] ?? null;
}

/**
 * Each remote node: key-changed when it offers another host key (nothing
 * reaches it until accepted), silent when every series it had went stale
 * while the sampler runs, up otherwise.
 */
export function nodeLiveness(input: { nodes: readonly string[]; sources: readonly SeriesInfo[]; keyChanges: ReadonlyArray<{ name: string; at: string }> }): NodeLiveness[] {
  const samplerAlive = input.sources.some((s) => s.source === 'workstation' && !s.stale);
  const byNode = new Map<string, { stale: boolean; lastTs: number | null }>();
  for (const s of input.sources) {
    const name = nodeOfSource(s.source);
    if (!name) continue;
    const seen = byNode.get(name) ?? { stale: true, lastTs: null };
    byNode.set(name, { stale: seen.stale && s.stale, lastTs: Math.max(seen.lastTs ?? 0, s.lastTs ?? 0) || null });
  }
  const changed = new Map(input.keyChanges.map((k) => [k.name, k.at]));
  const names = [...new Set([...input.nodes, ...(samplerAlive ? byNode.keys() : [])])].sort();
  return names.map((name): NodeLiveness => {
    const offeredAt = changed.get(name);
    if (offeredAt !== undefined) return { name, state: 'key-changed', since: offeredAt, detail: `${name} presents a different host key; review it on the Nodes page before Outpost connects again.` };
    const series = byNode.get(name);
    if (samplerAlive && series?.stale) {
      const since = series.lastTs === null ? null : iso(series.lastTs);
      return { name, state: 'silent', since, detail: `${name} stopped answering${since ? ` (last sample ${since})` : ''}; check its power and network.` };
    }
    return { name, state: 'up', since: null, detail: '' };
  });
}

/** GPU memory fill per node from the newest `gpu.mem.used`/`gpu.mem.total` (and `gpu.util`) of each of its GPUs. */
export function gpuFill(sources: readonly SeriesInfo[]): GpuFill[] {
  const gpus = new Map<string, { node: string; used?: number; total?: number; util?: number; stale: boolean }>();
  for (const s of sources) {
    const match = /^gpu:([^/]+)\/(\d+)$/.exec(s.source);
    if (!match || s.lastValue === null) continue;
    const gpu = gpus.get(s.source) ?? { node: match[1] as string, stale: false };
    if (s.metric === 'gpu.mem.used') gpu.used = s.lastValue;
    else if (s.metric === 'gpu.mem.total') gpu.total = s.lastValue;
    else if (s.metric === 'gpu.util') gpu.util = s.lastValue;
    else continue;
    gpu.stale ||= s.stale;
    gpus.set(s.source, gpu);
  }
  const byNode = new Map<string, GpuFill & { utils: number[] }>();
  for (const g of gpus.values()) {
    if (g.total === undefined || g.total <= 0) continue;
    const node = byNode.get(g.node) ?? { node: g.node, gpus: 0, usedMiB: 0, totalMiB: 0, fill: 0, utilPercent: null, stale: false, utils: [] };
    node.gpus += 1;
    node.usedMiB += g.used ?? 0;
    node.totalMiB += g.total;
    node.stale ||= g.stale;
    if (g.util !== undefined) node.utils.push(g.util);
    byNode.set(g.node, node);
  }
  return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node)).map(({ utils, ...n }) => ({ ...n, fill: Math.min(1, n.usedMiB / n.totalMiB), utilPercent: utils.length ? Math.round(utils.reduce((a, b) => a + b, 0) / utils.length) : null }));
}

/** The home page from what the services read: the health report's offline item and level, alerts, nodes, deployments, router, GPUs. */
export function composeDashboard(input: { health: HealthReport; alerts: readonly Alert[]; nodes: readonly NodeLiveness[]; deployments: readonly Deployment[]; router: RouterWindow; sources: readonly SeriesInfo[] }): Dashboard {
  const offline = input.health.items.find((i) => i.check === 'offline');
  if (!offline || offline.limit === null) throw new Error('the health report has no offline item');
  return {
    at: input.health.at,
    level: input.health.level,
    offline: { level: offline.level, hours: offline.value, limitHours: offline.limit, summary: offline.summary, action: offline.windowAction, page: offline.page },
    alerts: [...input.alerts],
    nodes: [...input.nodes],
    deployments: input.deployments.map((d) => ({ id: d.id, model: d.model, state: d.state, workers: d.workers.length, workersRunning: d.workers.filter((w) => w.state === 'running').length })),
    router: input.router,
    gpus: gpuFill(input.sources),
  };
}
