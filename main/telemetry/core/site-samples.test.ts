import assert from 'node:assert/strict';
import test from 'node:test';
import type { RouterStats } from '../../../shared/domain/router.js';
import type { Deployment } from '../../../shared/domain/workers.js';
import { alertChanges, deploymentSamples, routerSamples } from './site-samples.js';

const stats: RouterStats = {
  pid: 1,
  listen: '127.0.0.1:8080',
  startedAt: '2026-11-25T00:00:00.000Z',
  writtenAt: '2026-11-25T00:00:10.000Z',
  configVersion: 1,
  inFlight: 3,
  endpoints: [{ name: 'head-a', tier: 'site', healthy: true, breaker: 'closed', inFlight: 3, ttftMs: 120, recentTtftMs: [], requests: 9, failures: 0 }],
  traffic: [
    { at: 98, requests: 4, errors: 0, ttftP50Ms: 100, ttftP99Ms: 180 },
    { at: 99, requests: 5, errors: 1, ttftP50Ms: null, ttftP99Ms: null },
    { at: 100, requests: 2, errors: 0, ttftP50Ms: 90, ttftP99Ms: 90 },
  ],
};

test('router seconds are stored once each, and the second still counting waits', () => {
  const first = routerSamples(stats, 97, 100);
  assert.equal(first.lastSecond, 99);
  assert.deepEqual(
    first.samples.filter((s) => s.metric === 'router.requests').map((s) => [s.ts, s.value]),
    [
      [98, 4],
      [99, 5],
    ],
  );
  assert.equal(first.samples.filter((s) => s.metric === 'router.ttft.p50').length, 1, 'a second without TTFT has no TTFT sample');
  assert.equal(first.samples.find((s) => s.source === 'endpoint:head-a')?.value, 120);
  const next = routerSamples(stats, first.lastSecond, 101);
  assert.deepEqual(
    next.samples.filter((s) => s.metric === 'router.requests').map((s) => s.ts),
    [100],
  );
});

test('a stats file the router stopped rewriting gives its seconds once, but no current in-flight count or TTFT', () => {
  const written = Date.parse(stats.writtenAt) / 1000;
  const fresh = routerSamples(stats, 97, written + 2);
  assert.ok(fresh.samples.some((s) => s.metric === 'router.inflight' && s.ts === written + 2));
  const stale = routerSamples(stats, 97, written + 3);
  assert.deepEqual(
    stale.samples.filter((s) => s.metric === 'router.inflight' || s.metric === 'endpoint.ttft'),
    [],
    'the router is down: a gap, not its last values again',
  );
  assert.equal(stale.samples.filter((s) => s.metric === 'router.requests').length, 3, 'the seconds it counted before it died are still stored');
});

const deployment = (state: Deployment['state'], restarts: number): Deployment => ({
  id: 'dep-abcd',
  planId: 'p1',
  model: 'tiny',
  engine: 'llama.cpp',
  rpcTransport: 'ssh',
  state,
  apiUrl: null,
  endpoint: null,
  detail: null,
  tokensPerSecond: null,
  createdAt: '2026-11-25T00:00:00.000Z',
  readyAt: null,
  stoppedAt: null,
  stages: [],
  workers: [
    { name: 'head', role: 'head', node: 'a', address: '127.0.0.2', stageIndex: 0, listen: null, state: 'running', pid: 1, restarts, startedAt: null, lastError: null },
    { name: 'rpc-1', role: 'rpc', node: 'b', address: '127.0.0.3', stageIndex: 1, listen: null, state: 'down', pid: null, restarts: 0, startedAt: null, lastError: 'exited' },
  ],
});

test('active deployments report workers running and restarts; stopped ones report nothing', () => {
  const samples = deploymentSamples([deployment('ready', 2)], 5);
  assert.deepEqual(
    samples.map((s) => [s.metric, s.value]),
    [
      ['workers.running', 1],
      ['workers.restarts', 2],
    ],
  );
  assert.deepEqual(deploymentSamples([deployment('stopped', 2)], 5), []);
});

test('a silent node, a degraded deployment and a restart raise alerts once; recovered conditions clear', () => {
  const seen = { silentNodes: [{ node: 'gpu-b', seconds: 42, why: 'the SSH session closed' }], deployments: [deployment('degraded', 3)], previousRestarts: new Map([['dep-abcd/head', 2]]) };
  const first = alertChanges(seen, new Set());
  assert.deepEqual(
    first.raise.map((r) => [r.key, r.severity]),
    [
      ['node-silent:gpu-b', 'critical'],
      ['deployment:dep-abcd', 'warn'],
      ['restart:dep-abcd/head/3', 'warn'],
    ],
  );
  assert.match(first.raise[0]?.message ?? '', /gpu-b sent no telemetry for 42 s/);
  const again = alertChanges(seen, new Set(first.raise.map((r) => r.key)));
  assert.deepEqual(again.raise, []);
  const recovered = alertChanges({ silentNodes: [], deployments: [deployment('ready', 3)], previousRestarts: new Map([['dep-abcd/head', 3]]) }, new Set(first.raise.map((r) => r.key)));
  assert.deepEqual(recovered.clear.sort(), ['deployment:dep-abcd', 'node-silent:gpu-b']);
});
