import assert from 'node:assert/strict';
import test from 'node:test';
import type { SeriesInfo } from '../../../shared/domain/telemetry.js';
import { assessHealth } from './health-rules.js';
import { composeDashboard, gpuFill, nodeLiveness, routerWindow, weightedPercentile } from './dashboard.js';
import { DEFAULT_TELEMETRY_SETTINGS } from '../../../shared/domain/telemetry.js';

const info = (source: string, metric: string, lastValue: number | null, stale = false, lastTs = 1_000): SeriesInfo => ({ source, metric, unit: '', lastTs, lastValue, stale });

test('a weighted percentile is the nearest rank over values counted by their weight', () => {
  const points = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((value) => ({ value, weight: 1 }));
  assert.equal(weightedPercentile(points, 0.5), 50);
  assert.equal(weightedPercentile(points, 0.99), 100);
  assert.equal(
    weightedPercentile(
      [
        { value: 5, weight: 9 },
        { value: 500, weight: 1 },
      ],
      0.5,
    ),
    5,
    'the busy second outweighs the quiet one',
  );
  assert.equal(
    weightedPercentile(
      [
        { value: 5, weight: 9 },
        { value: 500, weight: 1 },
      ],
      0.99,
    ),
    500,
  );
  assert.equal(weightedPercentile([], 0.5), null);
  assert.equal(weightedPercentile([{ value: 3, weight: 0 }], 0.5), null);
});

test("the router's window sums requests, gives a per-minute rate and traffic-weighted TTFT percentiles", () => {
  const window = routerWindow(
    {
      requests: [
        [1, 8],
        [2, 2],
        [3, 0],
      ],
      errors: [[2, 1]],
      ttftP50: [
        [1, 40],
        [2, 400],
      ],
      ttftP99: [
        [1, 90],
        [2, 900],
      ],
    },
    900,
    true,
  );
  assert.deepEqual(window, { running: true, windowSeconds: 900, requests: 10, errors: 1, requestsPerMinute: 0.7, ttftP50Ms: 40, ttftP99Ms: 900 });
  assert.deepEqual(routerWindow({ requests: [], errors: [], ttftP50: [], ttftP99: [] }, 900, false), { running: false, windowSeconds: 900, requests: 0, errors: 0, requestsPerMinute: 0, ttftP50Ms: null, ttftP99Ms: null });
});

test('a node is silent when all its series went stale while the sampler runs; a changed host key wins; otherwise up', () => {
  const sources = [info('workstation', 'cpu.util', 3), info('gpu:a/0', 'gpu.util', 10), info('gpu:b/0', 'gpu.util', 0, true, 500), info('node:b', 'cpu.util', 1, true, 700), info('gpu:c/0', 'gpu.util', 1)];
  const nodes = nodeLiveness({ nodes: ['a', 'b', 'c', 'd'], sources, keyChanges: [{ name: 'c', at: '2026-12-01T00:00:00.000Z' }] });
  assert.deepEqual(
    nodes.map((n) => [n.name, n.state, n.since]),
    [
      ['a', 'up', null],
      ['b', 'silent', new Date(700_000).toISOString()],
      ['c', 'key-changed', '2026-12-01T00:00:00.000Z'],
      ['d', 'up', null],
    ],
  );
  assert.match(nodes[1]?.detail ?? '', /b stopped answering/);
  const noSampler = nodeLiveness({ nodes: ['b'], sources: sources.map((s) => ({ ...s, stale: true })), keyChanges: [] });
  assert.deepEqual(
    noSampler.map((n) => n.state),
    ['up'],
    'nobody samples: nobody is called silent',
  );
});

test('GPU fill adds up each node’s GPUs from their newest memory samples', () => {
  const fill = gpuFill([
    info('gpu:a/0', 'gpu.mem.used', 20_000),
    info('gpu:a/0', 'gpu.mem.total', 80_000),
    info('gpu:a/1', 'gpu.mem.used', 60_000),
    info('gpu:a/1', 'gpu.mem.total', 80_000),
    info('gpu:a/0', 'gpu.util', 50),
    info('gpu:a/1', 'gpu.util', 100),
    info('gpu:j/0', 'gpu.util', 5),
    info('node:a', 'mem.used', 1),
  ]);
  assert.deepEqual(fill, [{ node: 'a', gpus: 2, usedMiB: 80_000, totalMiB: 160_000, fill: 0.5, utilPercent: 75, stale: false }], 'a GPU without a memory total draws no bar');
});

test('the dashboard takes the offline tile from the health report in window terms, and deployments with their workers running', () => {
  const now = new Date('2026-12-05T00:00:00.000Z');
  const health = assessHealth({ now, role: 'site', lastExchangeAt: '2026-12-01T16:00:00.000Z', newestModelImportedAt: null, keys: [], unacknowledgedTelemetrySince: null, nodes: [], silentNodes: [], deployments: [] }, DEFAULT_TELEMETRY_SETTINGS);
  const deployment = { id: 'd1', model: 'tiny', state: 'degraded', workers: [{ state: 'running' }, { state: 'down' }] } as unknown as Parameters<typeof composeDashboard>[0]['deployments'][number];
  const dashboard = composeDashboard({ health, alerts: [], nodes: [], deployments: [deployment], router: routerWindow({ requests: [], errors: [], ttftP50: [], ttftP99: [] }, 900, false), sources: [] });
  assert.equal(dashboard.offline.level, 'critical');
  assert.equal(dashboard.offline.hours, 80);
  assert.equal(dashboard.offline.limitHours, 72);
  assert.equal(dashboard.offline.page, 'sync');
  assert.match(dashboard.offline.action, /Sync page/);
  assert.doesNotMatch(dashboard.offline.action, /outpost/);
  assert.deepEqual(dashboard.deployments, [{ id: 'd1', model: 'tiny', state: 'degraded', workers: 2, workersRunning: 1 }]);
  assert.equal(dashboard.level, 'critical');
});
