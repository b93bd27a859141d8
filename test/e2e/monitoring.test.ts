import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { post, startRouterSetup } from '../helpers/router.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startScannedSite } from '../helpers/scanned-site.js';
import { MonitoringPageObject } from './pages/monitoring-page.js';
import { openDatabase } from '../../main/platform/store/index.js';
import { openTelemetry } from '../../main/telemetry/index.js';
import { siteFactsWith } from '../helpers/telemetry.js';
import { tempDir } from '../helpers/temp.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 236; // this file's loopback block: 127.0.0.236–238
const PROFILES = ['a100-server', 'agx-orin-64', 't4-server'];
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

test('the Monitoring page charts GPUs, CPU and router traffic live, lists health and raises an alert for a node that goes silent', { skip: unavailable, timeout: 120_000 }, async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a100-01', tier: 'site', ttftMs: 40, tokensPerSecond: 500, tokens: 6 }] });
  await setup.call('identity.init', { siteId: 'plant-9' });
  await setup.call('telemetry.settings.set', { staleAfterSeconds: 8 });
  const site = await startScannedSite(t, setup.dataDir, PROFILES, FIRST);

  const { url } = await startSiteService(t, setup.dataDir);
  const chat = { model: 'tiny', messages: [{ role: 'user', content: 'how is line 3?' }], stream: true };
  const traffic = (async () => {
    for (let i = 0; i < 8; i += 1) {
      await Promise.all([post(`${setup.url}/v1/chat/completions`, setup.key, chat), post(`${setup.url}/v1/chat/completions`, setup.key, chat)]);
      await sleep(500);
    }
  })();
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1400, height: 1300 });
  await win.goTo('monitoring');
  const monitoring = new MonitoringPageObject(page);

  await monitoring.chartWithLines('monitoring-gpu-util', 7); // 2 A100s, 4 T4s, the Orin's GPU
  await monitoring.chartWithLines('monitoring-gpu-mem', 6);
  await monitoring.chartWithLines('monitoring-cpu', 2); // this workstation and the Jetson
  await monitoring.chartWithLines('monitoring-memory', 2);
  await traffic;
  await monitoring.chartWithLines('monitoring-router-rate', 1);
  await monitoring.chartWithLines('monitoring-router-ttft', 2);
  const legend = (await monitoring.byTestId('monitoring-gpu-util').textContent()) ?? '';
  assert.match(legend, /gpu-a100-01 GPU 1/);
  assert.match(legend, /jetson-agx-orin GPU 0/);
  assert.equal(await monitoring.byTestId('monitoring-health').locator('li').count(), 7);
  assert.equal(await monitoring.healthItem('signing-key').getAttribute('data-level'), 'ok');
  assert.equal(await monitoring.healthItem('offline').getAttribute('data-level'), 'warn', 'no bundle exchanged yet');
  const offlineAction = (await monitoring.byTestId('monitoring-health-offline-action').textContent()) ?? '';
  assert.match(offlineAction, /Export a bundle for HQ on the Sync page/, 'the window names what it can do itself');
  assert.doesNotMatch(offlineAction, /`outpost/);
  assert.match((await monitoring.byTestId('monitoring-alerts').textContent()) ?? '', /no active alerts/);

  await site.hosts.find((h) => h.profile === 't4-server')?.sshd.stop();
  const alert = monitoring.alert('node-silent:gpu-t4-01');
  await alert.waitFor({ timeout: 30_000 });
  assert.match((await alert.textContent()) ?? '', /critical.*gpu-t4-01 sent no telemetry for \d+ s/);
  await monitoring.byTestId('monitoring-health-nodes').and(page.locator('[data-level="warn"]')).waitFor({ timeout: 15_000 });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'monitoring.png'), fullPage: true });
  await expectAccessible(page, 'the Monitoring page with an alert');

  await monitoring.byTestId('monitoring-window-86400').click();
  await monitoring.chartWithLines('monitoring-gpu-util', 7);
  assert.doesNotMatch((await page.getByTestId('page-monitoring').textContent()) ?? '', /start it with/, 'the router runs: no advice to start it');
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});

test('a chart spans the selected window whatever the data covers, and a stretch without samples stays a gap; a CPU-only node is charted', { timeout: 90_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'gaps-1'])).code, 0);
  const { url } = await startSiteService(t, dataDir);
  // A CPU node serving for a while, silent for five minutes, then back: written beside the running service, as its sampler would.
  const db = openDatabase(path.join(dataDir, 'outpost.db'));
  t.after(() => db.close());
  const store = openTelemetry(db, () => new Date(), siteFactsWith()).store;
  const now = Math.floor(Date.now() / 1000);
  for (const [from, to] of [
    [now - 600, now - 500],
    [now - 200, now - 100],
  ] as const) {
    for (let ts = from; ts < to; ts += 1) store.ingest([{ source: 'node:cpu-box-01', metric: 'cpu.util', unit: '%', ts, value: 40 + (ts % 20) }]);
  }
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1400, height: 1300 });
  await win.goTo('monitoring');
  const monitoring = new MonitoringPageObject(page);

  const cpu = await monitoring.chartWithLines('monitoring-cpu', 2); // this workstation and the CPU node
  assert.match((await cpu.textContent()) ?? '', /cpu-box-01/);
  await page.locator('[data-testid="monitoring-cpu"][data-gaps]').waitFor();
  assert.ok(Number(await cpu.getAttribute('data-gaps')) >= 1, 'the five silent minutes are not bridged');
  assert.equal(await cpu.getAttribute('data-span-gaps'), 'false');
  const span = async (): Promise<number> => Number(await cpu.getAttribute('data-axis-to')) - Number(await cpu.getAttribute('data-axis-from'));
  assert.ok(Math.abs((await span()) - 900) <= 10, `15 min on the axis, got ${await span()} s`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'monitoring-gaps.png'), fullPage: true });

  await monitoring.byTestId('monitoring-window-259200').click();
  const wide = async (): Promise<boolean> => (await span()) >= 72 * 3600;
  const deadline = Date.now() + 15_000;
  while (!(await wide()) && Date.now() < deadline) await sleep(200);
  assert.ok(await wide(), `72 h on the axis although the data covers 10 min, got ${await span()} s`);
  assert.ok((await span()) <= 72 * 3600 + 900, 'and not more than a bucket beyond it');
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});
