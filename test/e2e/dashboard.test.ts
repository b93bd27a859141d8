import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';
import { until } from '../helpers/workers.js';
import type { Alert } from '../../shared/domain/telemetry.js';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { post, startRouterSetup } from '../helpers/router.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startSimulatedSite } from '../fixtures/simulated-site/simulated-site.js';
import { DashboardPageObject } from './pages/dashboard-page.js';
import { NodesPageObject } from './pages/nodes-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 80; // this file's loopback block: 127.0.0.80–82
const PROFILES = ['a100-server', 't4-server', 'cpu-box'];
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

test('the site dashboard on a running site: GPU fill, router traffic, a silent node counted, badged and alerted, the alert acknowledged from its tile, a changed host key, and every tile opening its page', { skip: unavailable, timeout: 180_000 }, async (t) => {
  const setup = await startRouterSetup(t, { upstreams: [{ name: 'gpu-a100-01', tier: 'site', ttftMs: 40, tokensPerSecond: 500, tokens: 6 }] });
  await setup.call('identity.init', { siteId: 'plant-12' });
  await setup.call('telemetry.settings.set', { staleAfterSeconds: 8 });
  const siteKey = fs.readFileSync(path.join(setup.dataDir, 'keys/id_ed25519.pub'), 'utf8');
  const port = await commonFreePort(
    PROFILES.map((_, i) => `127.0.0.${FIRST + i}`),
    process.pid + FIRST,
  );
  const site = await startSimulatedSite({ profiles: PROFILES, authorizedKey: siteKey, firstAddress: FIRST, port });
  t.after(() => site.stop());
  const outpost = (...args: string[]) => runOutpost(['--data-dir', setup.dataDir, ...args]);
  const scan = await outpost('discover', site.hosts.map((h) => h.sshd.address).join(','), '--port', String(port), '--user', site.user);
  assert.equal(scan.code, 0, scan.stderr);

  const { url } = await startSiteService(t, setup.dataDir);
  const chat = { model: 'tiny', messages: [{ role: 'user', content: 'status of the line?' }], stream: true };
  // The router's counts are read as differences between samples: the traffic starts once the service has read it.
  await until('the site service samples the router', async () => (await setup.call('telemetry.sources', {})).some((series) => series.source === 'router'), 20_000);
  const traffic = (async () => {
    for (let i = 0; i < 6; i += 1) {
      await Promise.all([post(`${setup.url}/v1/chat/completions`, setup.key, chat), post(`${setup.url}/v1/chat/completions`, setup.key, chat)]);
      await sleep(400);
    }
  })();
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1400, height: 1100 });
  const dashboard = new DashboardPageObject(page);

  // GPU fill per node, from the samplers' newest memory readings.
  await dashboard.gpu('gpu-a100-01').waitFor({ timeout: 30_000 });
  await dashboard.gpu('gpu-t4-01').waitFor({ timeout: 30_000 });
  assert.match((await dashboard.gpu('gpu-a100-01').textContent()) ?? '', /2 GPUs.*of 160(\.0)? GiB/);
  assert.match((await dashboard.gpu('gpu-t4-01').textContent()) ?? '', /4 GPUs/);
  await dashboard.nodesCount('up', 3);
  assert.equal(await dashboard.byTestId('dashboard-deployments-empty').count(), 1);

  // The router's last 15 minutes: the requests just sent, their rate and TTFT percentiles.
  await traffic;
  await dashboard
    .byTestId('dashboard-router-rate')
    .filter({ hasText: /^12 \(/ })
    .waitFor({ timeout: 20_000 });
  assert.match((await dashboard.byTestId('dashboard-router-ttft').textContent()) ?? '', /p50 \d+ ms · p99 \d+ ms/);
  assert.equal(await dashboard.byTestId('dashboard-router-state').textContent(), 'running');

  // A host stops answering: counted silent with its name, an open alert, acknowledged from the tile.
  await site.hosts.find((h) => h.profile === 't4-server')?.sshd.stop();
  await dashboard.nodesCount('silent', 1);
  assert.equal(await dashboard.byTestId('dashboard-nodes-silent-names').textContent(), 'gpu-t4-01');
  await dashboard.nodesCount('up', 2);
  const alert = dashboard.alert('node-silent:gpu-t4-01');
  await alert.waitFor({ timeout: 30_000 });
  assert.equal(await alert.getAttribute('data-acknowledged'), 'false');
  await alert.getByTestId('dashboard-alert-ack').click();
  await page.locator('[data-testid="dashboard-alert"][data-key="node-silent:gpu-t4-01"][data-acknowledged="true"]').waitFor();
  await sleep(2500); // a refresh or two later it is still listed, as acknowledged, because the node is still silent
  assert.equal(await alert.getAttribute('data-acknowledged'), 'true');
  assert.equal(await alert.getByTestId('dashboard-alert-ack').count(), 0);
  const listed = JSON.parse((await outpost('alerts', '--json')).stdout) as Alert[];
  assert.ok(listed.find((a) => a.key === 'node-silent:gpu-t4-01')?.acknowledgedAt, '`outpost alerts` shows it acknowledged too');
  const journal = JSON.parse((await outpost('journal', '--json')).stdout) as Array<{ actor: string; action: string; outcome: string }>;
  assert.deepEqual(
    journal.filter((e) => e.action === 'telemetry.acknowledge').map((e) => [e.actor, e.outcome]),
    [['ui', 'ok']],
  );
  assert.equal(await dashboard.tile('offline').getAttribute('data-level'), 'warn');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'overview.png'), fullPage: true });

  // The silent node carries an offline badge with since-when on the Nodes page.
  await dashboard.byTestId('dashboard-nodes-link').click();
  await win.byTestId('page-nodes').waitFor();
  const nodes = new NodesPageObject(page);
  const offline = nodes.row('gpu-t4-01').getByTestId('node-offline');
  await offline.waitFor({ timeout: 15_000 });
  assert.match((await offline.textContent()) ?? '', /^offline since /);
  assert.equal(await nodes.row('gpu-a100-01').getByTestId('node-liveness').count(), 0, 'a node that answers has no badge');

  // A re-keyed host: counted key-changed on the dashboard, badged on the Nodes page.
  const cpuBox = site.hosts.find((h) => h.profile === 'cpu-box');
  await cpuBox?.sshd.replaceHostKey();
  await outpost('discover', cpuBox?.sshd.address ?? '', '--port', String(port), '--user', site.user);
  await nodes.row('cpu-box-01').getByTestId('node-key-changed').waitFor({ timeout: 15_000 });
  await win.goTo('overview');
  await dashboard.nodesCount('key-changed', 1);
  assert.equal(await dashboard.byTestId('dashboard-nodes-key-changed-names').textContent(), 'cpu-box-01');

  // Every tile links to the page that acts on it.
  for (const [tile, target] of [
    ['offline', 'sync'],
    ['alerts', 'monitoring'],
    ['nodes', 'nodes'],
    ['deployments', 'workers'],
    ['router', 'router'],
    ['gpus', 'monitoring'],
  ] as const) {
    await dashboard.byTestId(`dashboard-${tile}-link`).click();
    await win.byTestId(`page-${target}`).waitFor();
    await win.goTo('overview');
    await dashboard.tile(tile).waitFor();
  }
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});
