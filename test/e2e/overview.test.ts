import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { launchChromium, openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { tempDir } from '../helpers/temp.js';
import { DashboardPageObject } from './pages/dashboard-page.js';
import { expectAccessible } from '../helpers/axe.js';
import { OutpostWindow } from './pages/outpost-window.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');

test('the home page is the site dashboard: on a fresh site each tile says the next step, the identity stays, and this workstation moved to the Nodes page', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'e2e-site'])).code, 0);
  const identity = JSON.parse((await runOutpost(['--data-dir', dataDir, 'keys', 'show', '--json'])).stdout) as { signingKey: { fingerprint: string } };
  const { url } = await startSiteService(t, dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1280, height: 820 });
  const dashboard = new DashboardPageObject(page);
  // A site without nodes opens on the first visit; the Overview is one click away.
  await win.byTestId('page-setup').waitFor();
  await win.goTo('overview');

  await win.siteId.waitFor();
  assert.equal(await win.siteId.textContent(), 'e2e-site');
  assert.equal(await win.byTestId('signing-fingerprint').textContent(), identity.signingKey.fingerprint);
  await dashboard.tile('offline').waitFor();
  assert.equal(await dashboard.byTestId('dashboard-offline-hours').textContent(), 'no bundle exchanged yet');
  assert.equal(await dashboard.byTestId('dashboard-offline-level').textContent(), 'warn');
  const offlineAction = (await dashboard.byTestId('dashboard-offline-action').textContent()) ?? '';
  assert.match(offlineAction, /Sync page/);
  assert.doesNotMatch(offlineAction, /outpost /, 'the window names its own page, not a CLI command');
  assert.match((await dashboard.byTestId('dashboard-nodes-empty').textContent()) ?? '', /scan the site on the Nodes page/);
  assert.match((await dashboard.byTestId('dashboard-deployments-empty').textContent()) ?? '', /plan a model on the Plan page/);
  assert.match((await dashboard.byTestId('dashboard-gpus-empty').textContent()) ?? '', /scan the site on the Nodes page/);
  assert.match((await dashboard.byTestId('dashboard-router-empty').textContent()) ?? '', /connect an application on the Router page/);
  assert.match((await dashboard.byTestId('dashboard-alerts-empty').textContent()) ?? '', /No open alerts/);
  assert.doesNotMatch((await win.byTestId('page-overview').textContent()) ?? '', /`outpost|outpost (discover|launch|bundle)/, 'no CLI command on the home page');
  assert.equal(await win.statusSite.textContent(), 'site e2e-site');
  assert.equal(await win.statusOffline.textContent(), 'no bundle exchanged yet');
  assert.doesNotMatch(page.url(), /token=/, 'the token leaves the address bar at once');

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'overview-fresh.png'), fullPage: true });
  await expectAccessible(page, 'the Overview page');

  await dashboard.byTestId('dashboard-nodes-link').click();
  await win.byTestId('page-nodes').waitFor();
  await win.byTestId('scan-form').waitFor();
  await win.workstationCpu.waitFor();
  assert.match((await win.workstationCpu.textContent()) ?? '', new RegExp(`${os.cpus().length} logical`));
  assert.equal(await win.byTestId('workstation-hostname').textContent(), os.hostname());
  await expectAccessible(page, 'the Nodes page before any scan');
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});

test('a first visit creates the identity from the window; the status bar follows by event', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const { url } = await startSiteService(t, dataDir);
  const browser = await launchChromium(t);
  const win = new OutpostWindow(await browser.newPage());
  await win.open(url);
  await win.byTestId('page-setup').waitFor();
  await win.goTo('overview');
  await win.statusSite.waitFor();
  assert.equal(await win.statusSite.textContent(), 'no site identity');

  await win.createIdentity('Not Valid');
  await win.byTestId('error-note').waitFor();
  assert.match((await win.byTestId('error-note').textContent()) ?? '', /site id is 3–64 characters/);
  await expectAccessible(win.page, 'the first visit with a refused site id');

  await win.createIdentity('radiology-3');
  await win.siteId.waitFor();
  assert.equal(await win.siteId.textContent(), 'radiology-3');
  await win.statusSite.filter({ hasText: 'site radiology-3' }).waitFor();
  const cli = JSON.parse((await runOutpost(['--data-dir', dataDir, 'journal', '--json'])).stdout) as Array<{ actor: string; action: string; outcome: string }>;
  assert.deepEqual(
    cli.filter((e) => e.action === 'identity.init').map((e) => [e.actor, e.outcome]),
    [['ui', 'ok']],
    'the schema refusal never reached the service; the creation is journaled as done from the window',
  );
});

test('the page without the token explains how to get in, and calls are refused', async (t) => {
  const { url, port } = await startSiteService(t, path.join(tempDir(t), 'data'));
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  await page.goto(url.split('#')[0] as string);
  await page.getByTestId('no-access').waitFor();
  await expectAccessible(page, 'the page without the token');
  const status = await page.evaluate(async (p) => (await fetch(`http://127.0.0.1:${p}/rpc/system.status`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status, port);
  assert.equal(status, 401);
});
