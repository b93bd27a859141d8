import type { RouterStats } from '../../../shared/domain/router.js';
import type { Sample } from '../../../shared/domain/telemetry.js';
import type { Deployment } from '../../../shared/domain/workers.js';

/** The router rewrites its stats every second; a file older than this was left by a router that died or cannot write. */
const STATS_FRESH_SECONDS = 2;

/**
 * The router's complete seconds after `afterSecond` as samples of `router`, and
 * each endpoint's TTFT estimate at `ts`. The second still being counted is left
 * for the next tick, so each second is stored once and whole. A stale file's
 * in-flight count and TTFTs are not stored as `ts`'s: the router's down time
 * stays a gap in those series instead of repeating its last values.
 */
export function routerSamples(stats: RouterStats, afterSecond: number, ts: number): { samples: Sample[]; lastSecond: number } {
  const samples: Sample[] = [];
  let lastSecond = afterSecond;
  for (const second of stats.traffic) {
    if (second.at <= afterSecond || second.at >= ts) continue;
    samples.push({ source: 'router', metric: 'router.requests', unit: 'req/s', ts: second.at, value: second.requests });
    samples.push({ source: 'router', metric: 'router.errors', unit: 'err/s', ts: second.at, value: second.errors });
    if (second.ttftP50Ms !== null) samples.push({ source: 'router', metric: 'router.ttft.p50', unit: 'ms', ts: second.at, value: second.ttftP50Ms });
    if (second.ttftP99Ms !== null) samples.push({ source: 'router', metric: 'router.ttft.p99', unit: 'ms', ts: second.at, value: second.ttftP99Ms });
    lastSecond = Math.max(lastSecond, second.at);
  }
  if (ts - Date.parse(stats.writtenAt) / 1000 > STATS_FRESH_SECONDS) return { samples, lastSecond };
  samples.push({ source: 'router', metric: 'router.inflight', unit: 'requests', ts, value: stats.inFlight });
  for (const endpoint of stats.endpoints) {
    if (endpoint.ttftMs !== null) samples.push({ source: `endpoint:${endpoint.name}`, metric: 'endpoint.ttft', unit: 'ms', ts, value: endpoint.ttftMs });
  }
  return { samples, lastSecond };
}

const ACTIVE = new Set(['launching', 'ready', 'degraded']);

/** Workers running and restarts so far, per active deployment. */
export function deploymentSamples(deployments: readonly Deployment[], ts: number): Sample[] {
  return deployments
    .filter((d) => ACTIVE.has(d.state))
    .flatMap((d) => [
      { source: `deployment:${d.id}`, metric: 'workers.running', unit: 'workers', ts, value: d.workers.filter((w) => w.state === 'running').length },
      { source: `deployment:${d.id}`, metric: 'workers.restarts', unit: 'restarts', ts, value: d.workers.reduce((sum, w) => sum + w.restarts, 0) },
    ]);
}

export interface AlertChange {
  raise: Array<{ key: string; severity: 'warn' | 'critical'; source: string; message: string }>;
  clear: string[];
}

/**
 * Alerts from what the sampler sees: a node silent past the stale limit, a
 * deployment degraded or failed, a worker restarted since the last look.
 * Alerts whose condition went away are cleared.
 */
export function alertChanges(seen: { silentNodes: ReadonlyArray<{ node: string; seconds: number; why: string }>; deployments: readonly Deployment[]; previousRestarts: ReadonlyMap<string, number> }, active: ReadonlySet<string>): AlertChange {
  const raise: AlertChange['raise'] = [];
  for (const s of seen.silentNodes) raise.push({ key: `node-silent:${s.node}`, severity: 'critical', source: `node:${s.node}`, message: `${s.node} sent no telemetry for ${Math.round(s.seconds)} s (${s.why}); check its power and network` });
  for (const d of seen.deployments) {
    if (d.state === 'failed')
      raise.push({ key: `deployment:${d.id}`, severity: 'critical', source: `deployment:${d.id}`, message: `deployment ${d.id} (${d.model}) failed${d.detail ? `: ${d.detail}` : ''}; read its log on the Workers page (or \`outpost logs ${d.id}\`)` });
    else if (d.state === 'degraded') raise.push({ key: `deployment:${d.id}`, severity: 'warn', source: `deployment:${d.id}`, message: `deployment ${d.id} (${d.model}) is degraded; supervision is restarting its workers` });
    for (const w of d.workers) {
      const before = seen.previousRestarts.get(`${d.id}/${w.name}`);
      if (before !== undefined && w.restarts > before) {
        raise.push({ key: `restart:${d.id}/${w.name}/${w.restarts}`, severity: 'warn', source: `deployment:${d.id}`, message: `worker ${w.name} of ${d.id} on ${w.node} restarted (${w.restarts} restarts so far)${w.lastError ? `: ${w.lastError}` : ''}` });
      }
    }
  }
  const wanted = new Set(raise.map((r) => r.key));
  // Restart alerts are events, not conditions: the sampler's maintenance clears them after a while.
  const clear = [...active].filter((key) => !wanted.has(key) && !key.startsWith('restart:'));
  return { raise: raise.filter((r) => !active.has(r.key)), clear };
}
