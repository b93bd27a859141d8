import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import type { HealthReport } from '../../shared/domain/telemetry.js';
import { openDatabase } from '../../main/platform/store/index.js';
import { runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();

/** A bundle exchange `hours` ago, as sync records it (the fixture stands in for a USB round trip). */
function exchangedAgo(dataDir: string, hours: number): void {
  const db = openDatabase(path.join(dataDir, 'outpost.db'));
  try {
    db.prepare("INSERT INTO bundle_exchanges (direction, at, peer, digest, sequence, bytes, outcome, summary) VALUES ('export', ?, 'hq-1', 'sha256:x', 1, 10, 'exported', 'test')").run(hoursAgo(hours));
  } finally {
    db.close();
  }
}

test('outpost health: every check with a plain sentence; a site past the offline limit exits 1 saying what to do; the limit is configurable', async (t) => {
  const dataDir = tempDir(t);
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  assert.equal((await outpost('keys', 'init', '--site-id', 'health-test')).code, 0);

  const fresh = await outpost('health', '--json');
  assert.equal(fresh.code, 0, fresh.stderr);
  const report = JSON.parse(fresh.stdout) as HealthReport;
  assert.deepEqual(
    report.items.map((i) => i.check),
    ['offline', 'model-staleness', 'signing-key', 'ssh-key', 'telemetry-buffer', 'nodes', 'workers'],
  );
  assert.equal(report.items.find((i) => i.check === 'offline')?.level, 'warn', 'no exchange yet');
  assert.equal(report.items.find((i) => i.check === 'signing-key')?.level, 'ok');

  exchangedAgo(dataDir, 80);
  const overdue = await outpost('health');
  assert.equal(overdue.code, 1);
  assert.match(overdue.stdout, /^Offline health: CRITICAL/m);
  assert.match(overdue.stdout, /CRIT {2}offline {11}The last bundle exchange was 80\.0 h ago \(limit 72 h\)\.\n.*→ Exchange bundles with HQ now/);
  assert.deepEqual(overdue.stderr.trim().split('\n').length, 1);
  assert.match(overdue.stderr, /^outpost: 1 health check is critical \(offline\) — do what each critical line says/);

  const relaxed = await outpost('health', 'limits', '--offline-hours', '96', '--json');
  assert.equal(relaxed.code, 0, relaxed.stderr);
  assert.equal((JSON.parse(relaxed.stdout) as { offlineLimitHours: number }).offlineLimitHours, 96);
  const status = await outpost('status', '--json');
  assert.equal((JSON.parse(status.stdout) as { offlineLimitHours: number }).offlineLimitHours, 96, 'the status bar counts against the same limit');
  const within = await outpost('health', '--json');
  assert.equal(within.code, 0);
  const offline = (JSON.parse(within.stdout) as HealthReport).items.find((i) => i.check === 'offline');
  assert.equal(offline?.level, 'warn', '80 h is past 75% of 96 h');
  assert.equal(offline?.limit, 96);
});

test('outpost health limits refuses a malformed limit as a usage error and changes nothing', async (t) => {
  const dataDir = tempDir(t);
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  const bad = await outpost('health', 'limits', '--offline-hours', '-3');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /expected a positive number/);
  const shown = await outpost('health', 'limits');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /offline limit {8}72 h/);
});

test('outpost health without a site identity says the keys are missing and exits 1', async (t) => {
  const dataDir = tempDir(t);
  const run = await runOutpost(['--data-dir', dataDir, 'health']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /CRIT {2}signing-key {7}There is no bundle signing key\.\n.*outpost keys init/);
});
