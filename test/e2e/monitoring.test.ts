import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { post, startRouterSetup } from '../helpers/router.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startScannedSite } from '../helpers/scanned-site.js';
import { MonitoringPageObject } from './pages/monitoring-page.js';

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
  await traffic;
  await monitoring.chartWithLines('monitoring-router-rate', 1);
  await monitoring.chartWithLines('monitoring-router-ttft', 2);
  const legend = (await monitoring.byTestId('monitoring-gpu-util').textContent()) ?? '';
  assert.match(legend, /gpu-a100-01 GPU 1/);
  assert.match(legend, /jetson-agx-orin GPU 0/);
  assert.equal(await monitoring.byTestId('monitoring-health').locator('li').count(), 7);
  assert.equal(await monitoring.healthItem('signing-key').getAttribute('data-level'), 'ok');
  assert.equal(await monitoring.healthItem('offline').getAttribute('data-level'), 'warn', 'no bundle exchanged yet');
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
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});
