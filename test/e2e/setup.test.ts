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
import { SetupPageObject } from './pages/setup-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 113; // the setup slice's band is 127.0.0.110–129; .110 is the integration test's
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

async function outpost(dataDir: string, ...args: string[]): Promise<string> {
  const result = await runOutpost(['--data-dir', dataDir, ...args]);
  assert.equal(result.code, 0, `outpost ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Chromium logs each refused call's HTTP status (the refusals this test provokes); CSP violations and script errors stay. */
const unexpected = (errors: string[]) => errors.filter((e) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(e));

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

test('the first visit in the window: identity, SSH key copied, HQ trusted after its fingerprint, 3 hosts scanned, a changed key accepted side by side, the inventory; resumed after reloads', { skip: unavailable, timeout: 180_000 }, async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, 'site');
  // HQ and a second site, made with the CLI in their own data dirs, as they would be elsewhere.
  await outpost(path.join(root, 'hq'), 'keys', 'init', '--role', 'hq', '--site-id', 'hq-main');
  await outpost(path.join(root, 'hq'), 'trust', 'export', '--out', path.join(root, 'hq.trust.json'));
  const hqFingerprint = (JSON.parse(fs.readFileSync(path.join(root, 'hq.trust.json'), 'utf8')) as { signingKey: { fingerprint: string } }).signingKey.fingerprint;
  await outpost(path.join(root, 'other'), 'keys', 'init', '--site-id', 'other-site');
  await outpost(path.join(root, 'other'), 'trust', 'export', '--out', path.join(root, 'other-site.trust.json'));
  fs.writeFileSync(path.join(root, 'notes.json'), JSON.stringify({ hello: 'not a trust file' }));
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (step: string) => page.screenshot({ path: path.join(ARTIFACTS, `setup-${step}.png`), fullPage: true });

  const { url } = await startSiteService(t, dataDir);
  const { page, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 900 });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const setup = new SetupPageObject(page);

  // A fresh data dir opens on the first visit by itself.
  await page.getByTestId('page-setup').waitFor();
  await setup.waitForStep('identity');
  await shot('identity');
  await setup.createIdentity('clinic-setup');

  const line = await setup.copyPublicKey();
  assert.match(line, /^restrict,port-forwarding ssh-ed25519 [A-Za-z0-9+/=]+ outpost@clinic-setup$/);
  await shot('ssh-key');
  // The hosts get exactly the copied line.
  const port = await commonFreePort(
    [0, 1, 2].map((i) => `127.0.0.${FIRST + i}`),
    process.pid + 3,
  );
  const site = await startSimulatedSite({ profiles: ['cpu-box', 't4-server', 'agx-orin-64'], authorizedKey: line, firstAddress: FIRST, port });
  t.after(() => site.stop());
  await setup.confirmPublicKey();

  // A reload resumes where the services say the visit stands.
  await page.reload();
  await setup.waitForStep('hq-trust');

  // Bad trust files: each refused with what is wrong, nothing trusted.
  assert.match(await setup.trustRefusal(path.join(root, 'notes.json')), /notes\.json is not an Outpost trust file/);
  assert.match(await setup.trustRefusal(path.join(root, 'other-site.trust.json')), /trust file of a site other-site, not of HQ.*ask HQ/);
  assert.match(await setup.trustRefusal(path.join(root, 'missing.json')), /missing\.json does not exist.*is the drive mounted/);
  await shot('trust-refused');
  assert.equal(await setup.currentStep(), 'hq-trust');

  const inspected = await setup.inspectTrust(path.join(root, 'hq.trust.json'));
  assert.deepEqual(inspected, { siteId: 'hq-main', role: 'HQ', fingerprint: hqFingerprint });
  await shot('hq-trust');
  await setup.byTestId('trust-add-yes').click();
  await setup.waitForStep('scan');

  await page.reload();
  await setup.waitForStep('scan');
  const targets = site.hosts.map((h) => h.sshd.address).join(', ');
  await setup.byTestId('scan-targets').fill(targets);
  await shot('scan');
  await setup.scan({ targets, user: site.user, port });
  await setup.waitForStep('host-keys');
  assert.equal(await page.getByTestId('review-row').count(), 3);
  assert.equal(await page.getByTestId('review-fingerprint').count(), 3, 'every new key in full, in plain view');

  // A host re-keyed before the review: scanning it again shows both keys side by side.
  const cpuBox = site.hosts.find((h) => h.profile === 'cpu-box');
  assert.ok(cpuBox);
  const { hostKeyFingerprint } = await cpuBox.sshd.replaceHostKey();
  await setup.openStep('scan');
  assert.equal(await setup.byTestId('scan-targets').inputValue(), targets, 'the scan inputs are kept');
  assert.equal(await setup.byTestId('scan-port').inputValue(), String(port));
  await setup.scan({ targets: `${cpuBox.sshd.address}`, user: site.user, port });
  const changedRow = setup.reviewRow('cpu-box-01');
  await changedRow.getByTestId('hostkey-changed').waitFor();
  await shot('host-keys');
  await changedRow.getByTestId('hostkey-accept').click();
  assert.equal(await changedRow.getByTestId('hostkey-confirm-yes').count(), 1);
  assert.equal(await page.getByTestId('review-fingerprint').count(), 2, 'nothing accepted before the confirmation');
  await changedRow.getByTestId('hostkey-confirm').getByRole('button', { name: 'Cancel' }).click();
  const accepted = await setup.acceptChangedKey('cpu-box-01');
  assert.match(accepted.offered, new RegExp(escape(hostKeyFingerprint)));
  assert.notEqual(accepted.pinned, accepted.offered);
  assert.match(accepted.reprobe, /probed again: inventory stored/);
  await page.getByTestId('review-fingerprint').nth(2).waitFor();
  await shot('host-keys-accepted');

  await setup.confirmHostKeys();
  await page.getByTestId('node-row').nth(2).waitFor();
  assert.equal(await page.getByTestId('node-row').count(), 3);
  assert.equal(await page.locator('[data-testid="setup-steps"] [data-done="false"], .setup-steps li[data-done="false"]').count(), 0, 'every step done');
  await shot('inventory');
  await expectAccessible(page, 'the first visit done');

  // Each step stays where it lives: the trust list on the Sync page, the SSH key on the Nodes page.
  await page.getByTestId('setup-step-hq-trust-link').click();
  await page.getByTestId('page-sync').waitFor();
  const hqRow = page.locator('[data-testid="trust-row"][data-site="hq-main"]');
  assert.match((await hqRow.textContent()) ?? '', new RegExp(`hq-main.*HQ.*${escape(hqFingerprint)}`));
  await page.getByTestId('nav-nodes').click();
  assert.equal(await page.getByTestId('ssh-authorized-line').textContent(), line);
  assert.deepEqual(unexpected(consoleErrors), [], 'no CSP violation or script error');
});

test('the Sync page trust card: export to a path and as JSON, and remove a peer only after confirming', async (t) => {
  const root = tempDir(t);
  const dataDir = path.join(root, 'site');
  await outpost(dataDir, 'keys', 'init', '--site-id', 'clinic-trust');
  await outpost(path.join(root, 'hq'), 'keys', 'init', '--role', 'hq', '--site-id', 'hq-main');
  await outpost(path.join(root, 'hq'), 'trust', 'export', '--out', path.join(root, 'hq.trust.json'));
  await outpost(dataDir, 'trust', 'add', path.join(root, 'hq.trust.json'), '--yes');

  const { url } = await startSiteService(t, dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 900 });
  await win.goTo('sync');
  const card = page.getByTestId('trust-card');
  await card.getByTestId('trust-row').first().waitFor();

  const exportTo = path.join(root, 'clinic.trust.json');
  await card.getByTestId('trust-export-path').fill(exportTo);
  await card.getByTestId('trust-export-save').click();
  await card.getByTestId('trust-export-saved').waitFor();
  const written = JSON.parse(fs.readFileSync(exportTo, 'utf8')) as { siteId: string; role: string; signingKey: { fingerprint: string } };
  assert.deepEqual([written.siteId, written.role], ['clinic-trust', 'site']);
  assert.equal(await card.getByTestId('trust-export-fingerprint').textContent(), written.signingKey.fingerprint);
  assert.equal((JSON.parse((await card.getByTestId('trust-export-json').textContent()) ?? '{}') as { siteId: string }).siteId, 'clinic-trust');
  await card.getByTestId('trust-export-save').click();
  assert.match((await card.getByTestId('trust-export').getByTestId('error-note').textContent()) ?? '', /already exists.*nothing was overwritten/);

  await card.getByTestId('trust-remove').click();
  assert.equal(await card.getByTestId('trust-row').count(), 1, 'nothing removed before the confirmation');
  await page.screenshot({ path: path.join(ARTIFACTS, 'setup-trust-card.png'), fullPage: true });
  await expectAccessible(page, 'the trust card asking to confirm a removal');
  await card.getByTestId('trust-remove-yes').click();
  await card.getByText('No trusted peers yet').waitFor();
  const journal = await outpost(dataDir, 'journal');
  assert.match(journal, /sync\.trustRemove\s+ok/);
  assert.deepEqual(unexpected(consoleErrors), []);
});
