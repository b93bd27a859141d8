import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { CalibrationRepository, PlanRepository, PlannerService } from '../../main/planner/index.js';
import { Journal, openDatabase } from '../../main/platform/store/index.js';
import type { CalibrationRecord, CalibrationSample, CalibrationSet } from '../../shared/domain/calibration.js';
import { hqAndSite, type Installation, type TestClock } from '../helpers/sync.js';

/** The site's own planner on a second connection to its store, as a launch's measurements reach it. */
function sitePlanner(t: test.TestContext, site: Installation, clock: TestClock): PlannerService {
  const db = openDatabase(path.join(site.dataDir, 'outpost.db'));
  t.after(() => db.close());
  return new PlannerService({
    deploymentsUsing: () => [],
    plans: new PlanRepository(db),
    calibration: new CalibrationRepository(db),
    journal: new Journal(db, clock.now),
    inventory: () => [],
    nodeModelFiles: () => null,
    readNodeGguf: () => Promise.reject(new Error('not in this test')),
    now: clock.now,
  });
}

const sample = (gpu: string, speed: [number, number], at: string): Omit<CalibrationSample, 'site'> & { site: string } => ({
  gpu,
  engine: 'llama.cpp',
  quant: 'Q4_K_M',
  deploymentId: 'dep-sync1',
  site: 'site-a',
  at,
  memory: { actualBytes: 110, estimatedBytes: 100 },
  speed: { actualTokensPerSecond: speed[0], estimatedTokensPerSecond: speed[1] },
});

const hqRecord = (gpu: string, speedFactor: number, measuredAt: string): CalibrationRecord => ({
  gpu,
  engine: 'llama.cpp',
  quant: 'Q4_K_M',
  memoryFactor: 1.05,
  memorySamples: 4,
  speedFactor,
  speedSamples: 4,
  measuredAt,
  provenance: [{ deploymentId: 'dep-other', site: 'site-b', at: measuredAt, memoryRatio: 1.05, speedRatio: speedFactor }],
});

test("a site's calibration travels to HQ, kept per site; HQ's merged release comes back and applies where it is newer, absurd factors refused by name", async (t) => {
  const { root, hq, site, clock } = await hqAndSite(t);
  const planner = sitePlanner(t, site, clock);
  const verdict = planner.recordSamples([sample('CPU', [20, 40], '2025-03-01T07:00:00.000Z'), sample('A10G', [2000, 40], '2025-03-01T07:00:00.000Z')]);
  assert.deepEqual(
    verdict.rejected.map((r) => [r.gpu, r.what]),
    [['A10G', 'speed']],
    'a sample 50× off is rejected, never used',
  );
  assert.match(verdict.rejected[0]?.reason ?? '', /50\.0× above the estimate/);

  // Site → HQ: the site's own records, in its bundle, kept at HQ under the site's id.
  const report = await site.call('sync.export', { to: path.join(root, 's1') });
  const imported = await hq.call('sync.import', { media: [report.path] });
  assert.deepEqual(
    imported.changes.filter((c) => c.kind === 'site.calibration').map((c) => [c.key, c.change]),
    [['site-a', 'new']],
  );
  const atHq = (await hq.call('sync.records', { kind: 'site.calibration' }))[0]?.value as CalibrationSet;
  assert.deepEqual(atHq.records.map((r) => [r.gpu, r.memoryFactor, r.speedFactor, r.memorySamples, r.speedSamples]).sort(), [
    ['A10G', 1.1, null, 1, 0],
    ['CPU', 1.1, 0.5, 1, 1],
  ]);
  assert.equal(atHq.records.find((r) => r.gpu === 'CPU')?.provenance[0]?.deploymentId, 'dep-sync1');

  // HQ refuses an absurd factor by name and issues nothing; the merged calibration goes out as a record.
  const refusal = await hq.refusal('sync.releaseCalibration', { calibration: { records: [hqRecord('L40S', 25, '2025-03-01T09:00:00.000Z')] } });
  assert.match(refusal.message, /L40S llama\.cpp Q4_K_M: speedFactor 25 is outside/);
  await hq.call('sync.releaseCalibration', { calibration: { records: [hqRecord('L40S', 0.7, '2025-03-01T09:00:00.000Z'), hqRecord('CPU', 0.9, '2025-03-01T06:00:00.000Z')] } });
  const release = await hq.call('sync.export', { to: path.join(root, 'h1') });
  const applied = await site.call('sync.import', { media: [release.path] });
  const change = applied.changes.find((c) => c.kind === 'calibration');
  assert.equal(change?.change, 'new');
  assert.match(change?.resolution ?? '', /L40S llama\.cpp Q4_K_M: applied \(this site had no measurement of its own\)/);
  assert.match(change?.resolution ?? '', /CPU llama\.cpp Q4_K_M: stored, site newer \(this site's own measurement \(2025-03-01T07:00:00\.000Z\) is newer than HQ's \(2025-03-01T06:00:00\.000Z\) and stays in force\)/);

  // Plans at the site: HQ's factor where the site never measured, the site's own where it measured later.
  const plan = async (gpu: string) => (await site.call('planner.plan', { model: 'llama-3.1-8b', quant: 'Q4_K_M', context: 4096, devices: [gpu === 'CPU' ? { gpu, memoryGB: 64 } : { gpu }], save: false })).plan;
  const l40s = await plan('L40S');
  assert.deepEqual(
    l40s.calibration.map((c) => [c.gpu, c.origin, c.speedFactor]),
    [['L40S', 'hq', 0.7]],
  );
  assert.ok(l40s.explanation.some((line) => /Calibrated: L40S llama\.cpp Q4_K_M .*HQ's release.*dep-other at site-b/.test(line)));
  const cpu = await plan('CPU');
  assert.deepEqual(
    cpu.calibration.map((c) => [c.gpu, c.origin, c.speedFactor]),
    [['CPU', 'site', 0.5]],
  );
  assert.deepEqual(
    (await plan('A10G')).calibration.map((c) => [c.gpu, c.memoryFactor, c.speedFactor]),
    [['A10G', 1.1, 1]],
    'its speed sample was rejected: only its memory is calibrated',
  );

  // An absurd record that reached a site some other way is refused by name, never stored.
  assert.deepEqual(
    planner.applyHqCalibration([hqRecord('T4', 0.01, '2025-03-01T10:00:00.000Z')]).map((o) => [o.key, o.outcome]),
    [['T4 llama.cpp Q4_K_M', 'refused']],
  );
  assert.equal((await site.call('planner.calibration', {})).filter((r) => r.gpu === 'T4').length, 0);
});
