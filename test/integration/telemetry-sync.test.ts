import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import type { TelemetryReport } from '../../shared/domain/telemetry.js';
import type { Deployment } from '../../shared/domain/workers.js';
import { openDatabase } from '../../main/platform/store/index.js';
import { openTelemetry } from '../../main/telemetry/index.js';
import { siteFactsWith } from '../helpers/telemetry.js';
import { hqAndSite, type Installation, type TestClock } from '../helpers/sync.js';

const SPEC = {
  stages: [{ index: 0, node: 'gpu-a', gpu: 'A100-80GB', firstLayer: 0, lastLayer: 31, layerCount: 32, holdsOutput: true, memoryBytes: 5e9 }],
  workers: [{ name: 'head', role: 'head', node: 'gpu-a', address: '127.0.0.2', stageIndex: 0, listen: { host: '127.0.0.1', port: 8181 } }],
};

/** Three minutes of 1 Hz GPU samples on the site, rolled up the way the sampler's maintenance does, and one serving deployment. */
function siteActivity(site: Installation, clock: TestClock): void {
  const db = openDatabase(path.join(site.dataDir, 'outpost.db'));
  try {
    const { store } = openTelemetry(db, clock.now, siteFactsWith());
    const end = Math.floor(clock.ms / 1000);
    for (let ts = end - 180; ts < end; ts++) store.ingest([{ source: 'gpu:gpu-a/0', metric: 'gpu.util', unit: '%', ts, value: ts % 60 }]);
    clock.ms += 10_000;
    assert.ok(store.rollupStep(30));
    db.prepare("INSERT INTO deployments (id, plan_id, model, engine, rpc_transport, state, spec_json, created_at) VALUES ('dep-0a1b2c', 'plan-1', 'llama-3.1-8b', 'llama.cpp', 'ssh', 'ready', ?, ?)").run(JSON.stringify(SPEC), clock.now().toISOString());
    db.prepare("INSERT INTO deployment_workers (deployment_id, name, state, pid, restarts) VALUES ('dep-0a1b2c', 'head', 'running', 4242, 1)").run();
  } finally {
    db.close();
  }
}

test("a site's bundle carries telemetry since HQ's acknowledgement and the deployment state; HQ reads both after import", async (t) => {
  const { root, hq, site, clock } = await hqAndSite(t);
  siteActivity(site, clock);

  const first = await site.call('sync.export', { to: path.join(root, 's1') });
  await hq.call('sync.import', { media: [first.path] });
  const atHq = (await hq.call('sync.records', {})).filter((r) => r.issuer === 'site-a');
  assert.deepEqual(atHq.map((r) => r.kind).sort(), ['site.deployments', 'site.inventory', 'site.journal', 'site.telemetry']);
  const telemetry = atHq.find((r) => r.kind === 'site.telemetry')?.value as TelemetryReport;
  assert.deepEqual(
    telemetry.series.map((s) => [s.source, s.metric, s.unit, s.rows.length]),
    [['gpu:gpu-a/0', 'gpu.util', '%', 1]],
  );
  assert.deepEqual(telemetry.series[0]?.rows[0]?.slice(1), [60, 0, 29.5, 59], 'one minute: 60 samples, min, avg, max');
  const deployments = (atHq.find((r) => r.kind === 'site.deployments')?.value as { deployments: Deployment[] }).deployments;
  assert.deepEqual(
    deployments.map((d) => [d.id, d.state, d.workers[0]?.state, d.workers[0]?.restarts]),
    [['dep-0a1b2c', 'ready', 'running', 1]],
  );

  const beforeAck = await site.call('sync.export', { to: path.join(root, 's2') });
  const resent = await hq.call('sync.import', { media: [beforeAck.path] });
  assert.ok(
    resent.changes.some((c) => c.kind === 'site.deployments'),
    'deployment state is reported in every bundle',
  );
  assert.ok(!resent.changes.some((c) => c.kind === 'site.telemetry' && c.change === 'new'), 'unacknowledged telemetry is sent again under the same key, which HQ already holds');

  // HQ's next bundle acknowledges the site's; from then on the site sends only newer telemetry.
  const ack = await hq.call('sync.export', { to: path.join(root, 'h1') });
  await site.call('sync.import', { media: [ack.path] });
  const health = await site.call('telemetry.health', {});
  assert.equal(health.items.find((i) => i.check === 'telemetry-buffer')?.level, 'ok');
  const after = await site.call('sync.export', { to: path.join(root, 's3') });
  const afterAtHq = await hq.call('sync.import', { media: [after.path] });
  assert.ok(!afterAtHq.changes.some((c) => c.kind === 'site.telemetry'), 'nothing new since the acknowledgement');
});
