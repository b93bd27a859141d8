import assert from 'node:assert/strict';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import type { Sample } from '../../shared/domain/telemetry.js';
import { openDatabase, type Db } from '../../main/platform/store/index.js';
import { SyncRepository } from '../../main/sync/index.js';
import { openTelemetry } from '../../main/telemetry/index.js';
import { siteFactsWith } from '../helpers/telemetry.js';
import { tempDir } from '../helpers/temp.js';

const T0 = 1_795_000_000 - (1_795_000_000 % 3600);

/** A real SQLite file in a temp dir, with a clock the test moves. */
function fixture(t: TestContext): { db: Db; clock: { s: number }; telemetry: ReturnType<typeof openTelemetry> } {
  const db = openDatabase(path.join(tempDir(t), 'outpost.db'));
  t.after(() => db.close());
  const clock = { s: T0 };
  return { db, clock, telemetry: openTelemetry(db, () => new Date(clock.s * 1000), siteFactsWith()) };
}

/** `seconds` of 1 Hz samples for each source, value = second offset mod 100. */
function fill(store: ReturnType<typeof openTelemetry>['store'], sources: string[], from: number, seconds: number): void {
  for (let s = 0; s < seconds; s++) {
    const tick: Sample[] = sources.map((source) => ({ source, metric: 'gpu.util', unit: '%', ts: from + s, value: s % 100 }));
    store.ingest(tick);
  }
}

test('a chart of the last hour comes from raw samples, bucketed in SQL to at most maxPoints with min/avg/max', (t) => {
  const { clock, telemetry } = fixture(t);
  fill(telemetry.store, ['gpu:a/0', 'gpu:a/1', 'gpu:b/0'], T0, 3600);
  clock.s = T0 + 3600;
  const chart = telemetry.service.series({ metric: 'gpu.util', source: 'gpu:a/', from: T0, to: T0 + 3599, maxPoints: 120 });
  assert.equal(chart.resolution, 'raw');
  assert.equal(chart.bucketSeconds, 30);
  assert.deepEqual(
    chart.lines.map((l) => l.source),
    ['gpu:a/0', 'gpu:a/1'],
  );
  const line = chart.lines[0];
  assert.ok(line);
  assert.equal(line.t.length, 120);
  assert.equal(line.min[0], 0);
  assert.equal(line.max[0], 29);
  assert.equal(line.avg[0], 14.5);
  const all = telemetry.service.series({ metric: 'gpu.util', from: T0, to: T0 + 3599, maxPoints: 600 });
  assert.equal(all.lines.length, 3);
  assert.ok(all.lines.every((l) => l.t.length <= 600));
});

test('rollups summarise complete minutes in bounded steps; a wide chart merges them with the raw tail not rolled yet', (t) => {
  const { clock, telemetry } = fixture(t);
  fill(telemetry.store, ['gpu:a/0'], T0, 600);
  clock.s = T0 + 600 + 10;
  // The first step starts at the last complete minute; the backlog before it is left to raw retention.
  const first = telemetry.store.rollupStep(30);
  assert.deepEqual(first, { from: T0 + 540, to: T0 + 600 });
  assert.equal(telemetry.store.rollupStep(30), null, 'caught up');
  const rows = telemetry.store.report(0, 1000).series[0]?.rows ?? [];
  assert.deepEqual(rows, [[T0 + 540, 60, 40, 69.5, 99]]);
  fill(telemetry.store, ['gpu:a/0'], T0 + 600, 120);
  clock.s = T0 + 720 + 10;
  assert.deepEqual(telemetry.store.rollupStep(1), { from: T0 + 600, to: T0 + 660 }, 'one minute per step when asked for one');
  const chart = telemetry.service.series({ metric: 'gpu.util', from: T0 + 540, to: T0 + 719, maxPoints: 3 });
  assert.equal(chart.resolution, 'rollup');
  assert.equal(chart.bucketSeconds, 60);
  const line = chart.lines[0];
  assert.ok(line);
  assert.deepEqual(line.t, [T0 + 540, T0 + 600, T0 + 660], 'the last minute comes from raw samples');
  assert.deepEqual(line.max, [99, 59, 99]);
});

test('pruning deletes raw samples past retention only once rolled up, and rollups past theirs, a bounded span per step', (t) => {
  const { db, clock, telemetry } = fixture(t);
  telemetry.store.setSettings({ rawRetentionHours: 1, rollupRetentionDays: 1 });
  fill(telemetry.store, ['node:a'], T0, 7200);
  clock.s = T0 + 7200 + 10;
  const count = (): number => db.prepare('SELECT count(*) FROM telemetry_samples').pluck().get() as number;
  assert.equal(telemetry.store.pruneStep({ raw: T0 + 3600, rollup: 0 }, 600), 0, 'nothing is rolled up yet, so nothing raw goes');
  db.prepare('UPDATE telemetry_rollup_mark SET rolled_upto = ?').run(T0 + 7200);
  assert.equal(telemetry.store.pruneStep({ raw: T0 + 3600, rollup: 0 }, 600), 600);
  while (telemetry.store.pruneStep({ raw: T0 + 3600, rollup: 0 }, 600) > 0);
  assert.equal(count(), 3600);
  assert.equal(db.prepare('SELECT min(ts) FROM telemetry_samples').pluck().get(), T0 + 3600);
});

test("a site report carries rollups after the peer's acknowledged cursor, coarser when the backlog is long, and the cursor moves only on acknowledgement", (t) => {
  const { db, clock, telemetry } = fixture(t);
  const rollup = db.prepare('INSERT INTO telemetry_rollups (series_id, ts, n, min, avg, max) VALUES (?, ?, 60, ?, ?, ?)');
  telemetry.store.ingest([
    { source: 'node:a', metric: 'cpu.util', unit: '%', ts: T0, value: 1 },
    { source: 'node:b', metric: 'cpu.util', unit: '%', ts: T0, value: 1 },
  ]);
  for (const id of [1, 2]) for (let m = 0; m < 100; m++) rollup.run(id, T0 + m * 60, m, m + 1, m + 2);
  db.prepare('UPDATE telemetry_rollup_mark SET rolled_upto = ?').run(T0 + 100 * 60);
  clock.s = T0 + 100 * 60 + 30;
  const minutes = telemetry.store.report(0, 1000);
  assert.equal(minutes.bucketSeconds, 60);
  assert.deepEqual(
    minutes.series.map((s) => s.rows.length),
    [100, 100],
  );
  const first = telemetry.store.report(telemetry.store.exportedUpto(new SyncRepository(db).acknowledgedSequences('hq-1')), 40);
  assert.equal(first.bucketSeconds, 300, '200 minute rows do not fit in 40: five-minute buckets do');
  assert.equal(first.upto, T0 + 100 * 60 - 1, 'the whole backlog is covered');
  assert.deepEqual(first.series[0]?.rows[0], [T0, 300, 0, 3, 6]);
  telemetry.store.noteExport(1, first.upto);
  db.prepare("INSERT INTO bundles_sent (sequence, recipient, manifest_digest, chunks_json, journal_upto, created_at) VALUES (1, 'hq-1', 'd', '[]', 0, 'x')").run();
  assert.equal(telemetry.store.exportedUpto(new SyncRepository(db).acknowledgedSequences('hq-1')), 0, 'not acknowledged yet: the next bundle repeats the same minutes');
  db.prepare("UPDATE bundles_sent SET acknowledged_at = 'y' WHERE sequence = 1").run();
  assert.equal(telemetry.store.exportedUpto(new SyncRepository(db).acknowledgedSequences('hq-1')), first.upto);
  assert.deepEqual(telemetry.store.report(first.upto, 40).series, [], 'nothing new after the acknowledged minute');
  rollup.run(1, T0 + 100 * 60, 7, 8, 9);
  db.prepare('UPDATE telemetry_rollup_mark SET rolled_upto = ?').run(T0 + 101 * 60);
  assert.deepEqual(
    telemetry.store.report(first.upto, 40).series.map((s) => s.rows),
    [[[T0 + 100 * 60, 60, 7, 8, 9]]],
  );
});

test('settings keep their defaults until changed, and alerts are raised once and cleared', (t) => {
  const { telemetry } = fixture(t);
  assert.equal(telemetry.service.settings().offlineLimitHours, 72);
  assert.equal(telemetry.service.setSettings({ offlineLimitHours: 96 }).offlineLimitHours, 96);
  assert.equal(telemetry.service.settings().rawRetentionHours, 24);
  const alert = { key: 'node-silent:a', severity: 'critical' as const, source: 'node:a', message: 'a sent no telemetry', raisedAt: '2026-11-25T00:00:00.000Z' };
  assert.ok(telemetry.store.raise(alert));
  assert.equal(telemetry.store.raise(alert), null);
  assert.equal(telemetry.service.alerts(false).length, 1);
  assert.equal(telemetry.store.clear('node-silent:a', '2026-11-25T00:01:00.000Z')?.clearedAt, '2026-11-25T00:01:00.000Z');
  assert.equal(telemetry.service.alerts(false).length, 0);
  assert.equal(telemetry.service.alerts(true).length, 1);
});

test('restart alerts expire after a while and cleared alerts are forgotten after the retention', (t) => {
  const { telemetry } = fixture(t);
  telemetry.store.raise({ key: 'restart:dep-1/head/2', severity: 'warn', source: 'deployment:dep-1', message: 'head restarted', raisedAt: '2026-11-25T10:00:00.000Z' });
  telemetry.store.raise({ key: 'node-silent:a', severity: 'critical', source: 'node:a', message: 'a is silent', raisedAt: '2026-11-25T10:00:00.000Z' });
  assert.deepEqual(telemetry.store.expireAlerts('restart:', '2026-11-25T09:59:00.000Z', '2026-10-01T00:00:00.000Z', '2026-11-25T10:10:00.000Z'), [], 'too recent');
  const expired = telemetry.store.expireAlerts('restart:', '2026-11-25T10:15:00.000Z', '2026-10-01T00:00:00.000Z', '2026-11-25T10:16:00.000Z');
  assert.deepEqual(
    expired.map((a) => [a.key, a.clearedAt]),
    [['restart:dep-1/head/2', '2026-11-25T10:16:00.000Z']],
  );
  assert.deepEqual(
    telemetry.service.alerts(false).map((a) => a.key),
    ['node-silent:a'],
    'a condition stays until it goes away',
  );
  telemetry.store.expireAlerts('restart:', '2026-11-25T10:15:00.000Z', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z');
  assert.deepEqual(
    telemetry.service.alerts(true).map((a) => a.key),
    ['node-silent:a'],
    'the cleared restart alert is forgotten',
  );
});

test('an acknowledged alert stays listed as acknowledged until it clears; raised again, it is open again', (t) => {
  const { telemetry, clock } = fixture(t);
  const alert = { key: 'node-silent:b', severity: 'critical' as const, source: 'node:b', message: 'b sent no telemetry', raisedAt: '2026-11-25T00:00:00.000Z' };
  telemetry.store.raise(alert);
  assert.throws(
    () => telemetry.service.acknowledge('node-silent:nope'),
    (e: unknown) => (e as { code?: string }).code === 'NOT_FOUND',
  );
  const acked = telemetry.service.acknowledge('node-silent:b');
  assert.equal(acked.acknowledgedAt, new Date(clock.s * 1000).toISOString());
  assert.deepEqual(
    telemetry.service.alerts(false).map((a) => [a.key, a.acknowledgedAt !== null]),
    [['node-silent:b', true]],
  );
  telemetry.store.clear('node-silent:b', '2026-11-25T00:05:00.000Z');
  assert.throws(() => telemetry.service.acknowledge('node-silent:b'), 'a cleared alert needs no acknowledgement');
  telemetry.store.raise({ ...alert, raisedAt: '2026-11-25T01:00:00.000Z' });
  assert.equal(telemetry.service.alerts(false)[0]?.acknowledgedAt, null);
});

test('a chart asking for empty buckets gets every bucket of the window, null where the source was silent', (t) => {
  const { clock, telemetry } = fixture(t);
  fill(telemetry.store, ['gpu:a/0'], T0, 60);
  fill(telemetry.store, ['gpu:a/0'], T0 + 300, 60);
  clock.s = T0 + 600;
  const chart = telemetry.service.series({ metric: 'gpu.util', from: T0, to: T0 + 599, maxPoints: 60, emptyBuckets: 'null' });
  const line = chart.lines[0];
  assert.ok(line);
  assert.equal(chart.bucketSeconds, 10);
  assert.equal(line.t.length, 60, 'the whole window, not only where data is');
  assert.equal(line.t[0], T0);
  assert.deepEqual(
    line.avg.map((v) => v !== null),
    Array.from({ length: 60 }, (_, i) => i < 6 || (i >= 30 && i < 36)),
  );
  const sparse = telemetry.service.series({ metric: 'gpu.util', from: T0, to: T0 + 599, maxPoints: 60 });
  assert.equal(sparse.lines[0]?.t.length, 12, 'without asking, only buckets holding samples');
});

test("the dashboard reads the router's last 15 minutes from the stored seconds, and GPU fill from the newest samples", (t) => {
  const { clock, telemetry } = fixture(t);
  clock.s = T0 + 3600;
  const second = (ts: number, requests: number, p50: number, p99: number): Sample[] => [
    { source: 'router', metric: 'router.requests', unit: 'req/s', ts, value: requests },
    { source: 'router', metric: 'router.errors', unit: 'err/s', ts, value: 0 },
    { source: 'router', metric: 'router.ttft.p50', unit: 'ms', ts, value: p50 },
    { source: 'router', metric: 'router.ttft.p99', unit: 'ms', ts, value: p99 },
  ];
  telemetry.store.ingest(second(T0 + 3600 - 1000, 50, 999, 9999)); // older than 15 minutes: not counted
  telemetry.store.ingest(second(T0 + 3600 - 60, 9, 40, 80));
  telemetry.store.ingest(second(T0 + 3600 - 30, 1, 300, 700));
  telemetry.store.ingest([
    { source: 'workstation', metric: 'cpu.util', unit: '%', ts: T0 + 3600, value: 5 },
    { source: 'gpu:a/0', metric: 'gpu.mem.used', unit: 'MiB', ts: T0 + 3600, value: 1024 },
    { source: 'gpu:a/0', metric: 'gpu.mem.total', unit: 'MiB', ts: T0 + 3600, value: 4096 },
  ]);
  const dashboard = telemetry.service.dashboard();
  assert.deepEqual(dashboard.router, { running: false, windowSeconds: 900, requests: 10, errors: 0, requestsPerMinute: 0.7, ttftP50Ms: 40, ttftP99Ms: 700 });
  assert.deepEqual(
    dashboard.gpus.map((g) => [g.node, g.fill]),
    [['a', 0.25]],
  );
  assert.deepEqual(
    dashboard.nodes.map((n) => [n.name, n.state]),
    [['a', 'up']],
  );
  assert.equal(dashboard.offline.hours, null, 'no exchange yet');
});
