import assert from 'node:assert/strict';
import test from 'node:test';
import { DEFAULT_TELEMETRY_SETTINGS as LIMITS } from '../../../shared/domain/telemetry.js';
import { assessHealth, type HealthFacts } from './health-rules.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const hoursAgo = (h: number): string => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const healthy = (): HealthFacts => ({
  now: NOW,
  role: 'site',
  lastExchangeAt: hoursAgo(10),
  newestModelImportedAt: hoursAgo(24 * 5),
  keys: [
    { kind: 'signing', createdAt: hoursAgo(24 * 30) },
    { kind: 'ssh', createdAt: hoursAgo(24 * 30) },
  ],
  unacknowledgedTelemetrySince: NOW.getTime() / 1000 - 3600 * 10,
  nodes: [{ name: 'gpu-a', lastSeen: hoursAgo(1) }],
  silentNodes: [],
  deployments: [{ id: 'dep-1234', model: 'llama', state: 'ready', workersDown: 0 }],
});

const check = (facts: HealthFacts, name: string) => {
  const found = assessHealth(facts, LIMITS).items.find((i) => i.check === name);
  assert.ok(found, name);
  return found;
};

test('a site that exchanged recently with fresh keys and serving workers is all ok', () => {
  const report = assessHealth(healthy(), LIMITS);
  assert.equal(report.level, 'ok');
  assert.equal(report.items.length, 7);
  assert.ok(report.items.every((i) => i.action.length > 0 && i.summary.endsWith('.')));
});

test('hours offline: warn from 75% of the limit, critical at the limit, and the limit is configurable', () => {
  assert.equal(check({ ...healthy(), lastExchangeAt: hoursAgo(60) }, 'offline').level, 'warn');
  const over = check({ ...healthy(), lastExchangeAt: hoursAgo(80) }, 'offline');
  assert.equal(over.level, 'critical');
  assert.equal(over.value, 80);
  assert.match(over.action, /outpost bundle export/);
  const relaxed = assessHealth({ ...healthy(), lastExchangeAt: hoursAgo(80) }, { ...LIMITS, offlineLimitHours: 168 });
  assert.equal(relaxed.items.find((i) => i.check === 'offline')?.level, 'ok');
  assert.equal(check({ ...healthy(), lastExchangeAt: null }, 'offline').level, 'warn');
});

test('model staleness warns past the limit and is critical past twice the limit', () => {
  assert.equal(check({ ...healthy(), newestModelImportedAt: hoursAgo(24 * 100) }, 'model-staleness').level, 'warn');
  assert.equal(check({ ...healthy(), newestModelImportedAt: hoursAgo(24 * 200) }, 'model-staleness').level, 'critical');
  assert.equal(check({ ...healthy(), newestModelImportedAt: null }, 'model-staleness').level, 'ok');
});

test('a missing or expired key is critical and says how to fix it', () => {
  const missing = check({ ...healthy(), keys: [] }, 'signing-key');
  assert.equal(missing.level, 'critical');
  assert.match(missing.action, /outpost keys init/);
  const old = check(
    {
      ...healthy(),
      keys: [
        { kind: 'signing', createdAt: hoursAgo(24 * 400) },
        { kind: 'ssh', createdAt: hoursAgo(24 * 340) },
      ],
    },
    'ssh-key',
  );
  assert.equal(old.level, 'warn');
  assert.match(old.action, /outpost keys rotate/);
});

test('telemetry waiting for HQ fills the buffer: warn at half the retention, critical at 90%', () => {
  const since = (days: number): number => NOW.getTime() / 1000 - days * 86_400;
  assert.equal(check({ ...healthy(), unacknowledgedTelemetrySince: since(16) }, 'telemetry-buffer').level, 'warn');
  assert.equal(check({ ...healthy(), unacknowledgedTelemetrySince: since(28) }, 'telemetry-buffer').level, 'critical');
  assert.equal(check({ ...healthy(), unacknowledgedTelemetrySince: null }, 'telemetry-buffer').level, 'ok');
  assert.equal(check({ ...healthy(), role: 'hq', unacknowledgedTelemetrySince: since(28) }, 'telemetry-buffer').level, 'ok');
});

test('silent or unscanned nodes warn; every node silent is critical', () => {
  const two = {
    ...healthy(),
    nodes: [
      { name: 'gpu-a', lastSeen: hoursAgo(1) },
      { name: 'gpu-b', lastSeen: hoursAgo(48) },
    ],
  };
  const unseen = check(two, 'nodes');
  assert.equal(unseen.level, 'warn');
  assert.match(unseen.summary, /gpu-b not scanned/);
  const silent = check({ ...two, silentNodes: ['gpu-a'] }, 'nodes');
  assert.equal(silent.value, 2);
  assert.equal(check({ ...two, silentNodes: ['gpu-a', 'gpu-b'] }, 'nodes').level, 'critical');
});

test('a failed deployment is critical, a degraded one a warning, and the report takes the worst level', () => {
  const degraded = assessHealth({ ...healthy(), deployments: [{ id: 'dep-1', model: 'm', state: 'ready', workersDown: 1 }] }, LIMITS);
  assert.equal(degraded.level, 'warn');
  const failed = assessHealth({ ...healthy(), deployments: [{ id: 'dep-2', model: 'm', state: 'failed', workersDown: 2 }] }, LIMITS);
  assert.equal(failed.level, 'critical');
  assert.match(failed.items.find((i) => i.check === 'workers')?.summary ?? '', /dep-2/);
});
