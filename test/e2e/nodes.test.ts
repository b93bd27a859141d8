import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';
import { startSimulatedSite } from '../fixtures/simulated-site/simulated-site.js';
import { SITE_PROFILES, type MachineProfile } from '../fixtures/simulated-site/profiles.js';
import { NodesPageObject } from './pages/nodes-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const unavailable = await sshdFleetUnavailableReason(161);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

// The demo's heterogeneous site on 127.0.0.161–170, and one host that hangs mid-probe on .179.
const SITE = ['a100-server', 'l40s-server', 't4-server', 'a10g-box', 'h100-mig', 'agx-orin-64', 'orin-nx-16', 'orin-nano-8', 'cpu-box', 'driver-broken'];

test('the Nodes page scans a simulated heterogeneous site with live progress, shows it, cancels a scan, and accepts a re-keyed host only on confirmation', { skip: unavailable, timeout: 120_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'e2e-nodes'])).code, 0);
  const siteKey = fs.readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8');
  const port = await commonFreePort([...SITE.map((_, i) => `127.0.0.${161 + i}`), '127.0.0.179'], process.pid + 1);
  const site = await startSimulatedSite({ profiles: SITE, authorizedKey: siteKey, firstAddress: 161, port });
  t.after(() => site.stop());
  const slow: MachineProfile = { ...(SITE_PROFILES['cpu-box'] as MachineProfile), hostname: 'slow-box', fault: 'hang-in-lscpu' };
  const faulty = await startSimulatedSite({ profiles: ['slow'], extraProfiles: { slow }, authorizedKey: siteKey, firstAddress: 179, port });
  t.after(() => faulty.stop());

  const { url } = await startSiteService(t, dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1500, height: 1000 });
  await win.goTo('nodes');
  const nodes = new NodesPageObject(page);
  assert.match((await nodes.byTestId('nodes-table').count()) === 0 ? 'empty' : 'rows', /empty/);

  await nodes.scan(`127.0.0.160/28:${port}`, site.user);
  await nodes.byTestId('scan-summary').waitFor({ timeout: 60_000 });
  assert.match((await nodes.byTestId('scan-summary').textContent()) ?? '', /Done: 10 live, 10 inventoried, 0 failed of 14 address/);
  await nodes.rows.nth(9).waitFor();
  assert.equal(await nodes.rows.count(), 10);
  assert.equal(await nodes.row('gpu-t4-01').getByTestId('gpu-chip').count(), 4);
  assert.match((await nodes.row('gpu-a100-01').getByTestId('engine-badge').allTextContents()).join(' '), /llama-server 3871.*rpc-server/);
  assert.match((await nodes.row('jetson-agx-orin').textContent()) ?? '', /unified.*L4T R36\.4\.0|L4T R36\.4\.0.*unified/s);
  assert.match((await nodes.row('gpu-h100-mig').textContent()) ?? '', /MIG×4/);
  assert.match((await nodes.row('gpu-broken-01').textContent()) ?? '', /GPU driver error/);
  assert.match((await nodes.row('gpu-l40s-01').getByTestId('engine-badge').textContent()) ?? '', /vllm 0\.10\.2/);
  assert.match((await nodes.row('cpu-box-01').getByTestId('node-changes').textContent()) ?? '', /first seen as cpu-box-01/);
  assert.equal(await nodes.byTestId('hostkey-pinned').count(), 10);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'nodes.png'), fullPage: true });
  await expectAccessible(page, 'the Nodes page with a scanned site');

  // A scan stuck on a host that hangs mid-probe: progress shows, Cancel stops it, nothing half-written.
  await nodes.scan(`127.0.0.179:${port}`, site.user, 1);
  await nodes.byTestId('scan-progress').waitFor();
  await nodes.byTestId('scan-cancel').click();
  await nodes.byTestId('scan-summary').filter({ hasText: 'Cancelled' }).waitFor({ timeout: 15_000 });
  assert.match((await nodes.byTestId('scan-summary').textContent()) ?? '', /Cancelled: 1 live, 0 inventoried/);
  assert.equal(await nodes.rows.count(), 10, 'the cancelled host left no row');

  // A host re-keyed: both fingerprints shown in plain view, and accepting takes an explicit second step.
  const cpuBox = site.hosts.find((h) => h.profile === 'cpu-box');
  assert.ok(cpuBox);
  const { hostKeyFingerprint } = await cpuBox.sshd.replaceHostKey();
  await nodes.scan(`${cpuBox.sshd.address}:${port}`, site.user);
  await nodes.byTestId('scan-summary').filter({ hasText: 'Done' }).waitFor({ timeout: 30_000 });
  const changed = nodes.row('cpu-box-01').getByTestId('hostkey-changed');
  await changed.waitFor();
  assert.match((await changed.getByTestId('hostkey-offered-fingerprint').textContent()) ?? '', new RegExp(hostKeyFingerprint.replace(/[+/]/g, '\\$&')));
  assert.notEqual(await changed.getByTestId('hostkey-pinned-fingerprint').textContent(), await changed.getByTestId('hostkey-offered-fingerprint').textContent());
  await expectAccessible(page, 'the Nodes page with a changed host key');
  await changed.getByTestId('hostkey-accept').click();
  await expectAccessible(page, 'the Nodes page asking to accept a host key');
  assert.equal(await nodes.byTestId('hostkey-pinned').count(), 9, 'nothing is accepted before the confirmation');
  await changed.getByTestId('hostkey-confirm-yes').click();
  await nodes.byTestId('hostkey-pinned').nth(9).waitFor();
  assert.equal(await nodes.byTestId('hostkey-changed').count(), 0);
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
});
