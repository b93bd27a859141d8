import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { DriveBay } from '../helpers/drives.js';
import { seededBytes } from '../helpers/sync.js';
import { tempDir } from '../helpers/temp.js';
import { SyncPageObject } from './pages/sync-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const MiB = 1024 * 1024;

/** HQ and a site that trust each other, made with the CLI (as HQ's technician would), listing the bay's drives. */
async function pairWithDrives(root: string, bay: DriveBay): Promise<{ hq: string; site: string; outpost: (dataDir: string, ...args: string[]) => Promise<string> }> {
  const outpost = async (dataDir: string, ...args: string[]) => {
    const result = await runOutpost(['--data-dir', dataDir, ...args], { env: bay.env });
    assert.equal(result.code, 0, `outpost ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const hq = path.join(root, 'hq');
  const site = path.join(root, 'site');
  await outpost(hq, 'keys', 'init', '--site-id', 'hq-main', '--role', 'hq');
  await outpost(site, 'keys', 'init', '--site-id', 'clinic-7');
  await outpost(hq, 'trust', 'export', '--out', path.join(root, 'hq.trust.json'));
  await outpost(site, 'trust', 'export', '--out', path.join(root, 'site.trust.json'));
  await outpost(site, 'trust', 'add', path.join(root, 'hq.trust.json'), '--yes');
  await outpost(hq, 'trust', 'add', path.join(root, 'site.trust.json'), '--yes');
  return { hq, site, outpost };
}

test('the Sync page lists removable drives, imports HQ bundle from one, refuses a drive too small before writing, and says when the export is safe to remove', async (t) => {
  const root = tempDir(t);
  const bay = new DriveBay(path.join(root, 'bay'));
  const { hq, site, outpost } = await pairWithDrives(root, bay);
  fs.writeFileSync(path.join(root, 'model.gguf'), seededBytes(3 * MiB, 5));
  await outpost(hq, 'release', 'model', 'add', path.join(root, 'model.gguf'), '--name', 'tiny', '--version', '2');

  // HQ writes the bundle onto the stick from its CLI; `outpost drives` lists the stick and, after, the bundle on it.
  const stick = bay.plug('OUTPOST-1', 8 * 1024 ** 3, 16 * 1024 ** 3);
  assert.match(await outpost(hq, 'drives'), /OUTPOST-1 .* 8\.0 GiB free of 16\.0 GiB {2}\/dev\/sdb1 \(hot-plug\)/);
  assert.match(await outpost(hq, 'bundle', 'export', '--drive', stick), /flushed to OUTPOST-1: safe to remove/);
  assert.match(await outpost(hq, 'drives'), /bundle 1 from hq-main \(written here\), medium 1 of 1/);

  const { url } = await startSiteService(t, site, { env: bay.env });
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 768 });
  await win.goTo('sync');
  const sync = new SyncPageObject(page);
  await sync.drive('OUTPOST-1').waitFor();
  assert.match((await sync.drive('OUTPOST-1').textContent()) ?? '', /OUTPOST-1.*\/dev\/sdb1.*8\.0 GiB free of 16\.0 GiB.*bundle 1 from hq-main · medium 1 of 1/);

  const preview = await sync.importFromDrive('OUTPOST-1');
  assert.match(preview, /Bundle 1 from hq-main/);
  assert.match(preview, /model tiny/);
  assert.match(await sync.applyImport(), /Applied in one transaction/);

  // A stick too small for the report to HQ: said before writing, Export not offered.
  bay.plug('TINY', 32 * 1024, 64 * MiB);
  await sync.drive('TINY').waitFor();
  const advice = await sync.planExportToDrive('TINY');
  assert.match(advice, /the bundle needs .* and TINY has 32\.0 KiB free: .*choose a larger drive/);
  assert.equal(await sync.byTestId('export-start').isDisabled(), true);
  assert.deepEqual(fs.readdirSync(path.join(bay.root, 'media', 'TINY')), []);
  await page.locator('[data-testid="export-drive"][data-label="TINY"]').uncheck();

  const safe = await sync.exportToDrive('OUTPOST-1');
  assert.match(safe, /Everything is flushed to OUTPOST-1: safe to remove/);
  assert.match((await sync.byTestId('export-plan-bar').textContent()) ?? '', /bundle .* · 8\.0 GiB free/);
  assert.match((await sync.byTestId('export-result').textContent()) ?? '', /Bundle 1 for hq-main/);
  await sync.byTestId('exchange-row').nth(1).waitFor();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'sync.png'), fullPage: true });
  await expectAccessible(page, 'the Sync page with drives after an export');

  // HQ imports the report from the same stick, found by its label.
  const onStick = fs.readdirSync(stick).filter((name) => name.startsWith('outpost-clinic-7-'));
  assert.equal(onStick.length, 1);
  const atHq = JSON.parse((await outpost(hq, '--json', 'bundle', 'import', path.join(stick, onStick[0] ?? ''))).trim().split('\n').at(-1) ?? '') as { state: string };
  assert.equal(atHq.state, 'applied');
  assert.deepEqual(consoleErrors, []);
});

test('a bundle split across two drives: the window asks for the drive labelled OUTPOST-2 and finishes when it is plugged in', async (t) => {
  const root = tempDir(t);
  const bay = new DriveBay(path.join(root, 'bay'));
  const { hq, site, outpost } = await pairWithDrives(root, bay);
  fs.writeFileSync(path.join(root, 'model.gguf'), seededBytes(5 * MiB, 6));
  await outpost(hq, 'release', 'model', 'add', path.join(root, 'model.gguf'), '--name', 'tiny', '--version', '2');
  const first = bay.plug('OUTPOST-1', 5 * MiB);
  const second = bay.plug('OUTPOST-2', 5 * MiB);
  assert.match(await outpost(hq, 'bundle', 'export', '--drive', first, second), /flushed to OUTPOST-1, OUTPOST-2: safe to remove/);
  bay.unplug('OUTPOST-2');

  const { url } = await startSiteService(t, site, { env: bay.env });
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 768 });
  await win.goTo('sync');
  const sync = new SyncPageObject(page);
  assert.match(await sync.importFromDrive('OUTPOST-1'), /Bundle 1 from hq-main/);
  assert.match(await sync.applyImport(), /insert the remaining media/);
  const next = sync.byTestId('import-next-drive');
  assert.match((await next.textContent()) ?? '', /Insert the drive labelled OUTPOST-2 \(medium 2 of 2\)\./);

  bay.unplug('OUTPOST-1');
  bay.plug('OUTPOST-2', 5 * MiB);
  await sync.byTestId('import-state').filter({ hasText: 'Applied in one transaction' }).waitFor({ timeout: 60_000 });
  assert.equal(await next.count(), 0, 'no longer asking');
  assert.deepEqual(consoleErrors, []);
});
