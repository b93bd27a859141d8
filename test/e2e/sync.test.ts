import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { POLICY, seededBytes } from '../helpers/sync.js';
import { tempDir } from '../helpers/temp.js';
import { SyncPageObject } from './pages/sync-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');

async function outpost(dataDir: string, ...args: string[]): Promise<string> {
  const result = await runOutpost(['--data-dir', dataDir, ...args]);
  assert.equal(result.code, 0, `outpost ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

test('the Sync page previews and applies an HQ bundle, shows trust and history, and exports a report', async (t) => {
  const root = tempDir(t);
  const hq = path.join(root, 'hq');
  const site = path.join(root, 'site');
  await outpost(hq, 'keys', 'init', '--site-id', 'hq-main', '--role', 'hq');
  await outpost(site, 'keys', 'init', '--site-id', 'clinic-7');
  await outpost(hq, 'trust', 'export', '--out', path.join(root, 'hq.trust.json'));
  await outpost(site, 'trust', 'export', '--out', path.join(root, 'site.trust.json'));
  const added = await outpost(site, 'trust', 'add', path.join(root, 'hq.trust.json'), '--yes');
  await outpost(hq, 'trust', 'add', path.join(root, 'site.trust.json'), '--yes');
  fs.mkdirSync(path.join(root, 'usb'));
  fs.writeFileSync(path.join(root, 'model.gguf'), seededBytes(1536 * 1024, 4));
  fs.writeFileSync(path.join(root, 'policy.json'), JSON.stringify(POLICY));
  await outpost(hq, 'release', 'model', 'add', path.join(root, 'model.gguf'), '--name', 'tiny', '--version', '2025.03');
  await outpost(hq, 'release', 'policy', 'set', path.join(root, 'policy.json'));
  await outpost(hq, 'bundle', 'export', '--to', path.join(root, 'usb', 'from-hq'));

  const { url } = await startSiteService(t, site);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1280, height: 900 });
  await win.goTo('sync');
  const sync = new SyncPageObject(page);

  await sync.byTestId('trust-row').first().waitFor();
  const fingerprint = /SHA256:\S+/.exec(added)?.[0] ?? '';
  assert.match((await sync.byTestId('trust-row').first().textContent()) ?? '', new RegExp(`hq-main.*HQ.*${fingerprint.replace(/[+/]/g, '\\$&')}`));

  await sync.preview(path.join(root, 'usb', 'nowhere'));
  await sync.byTestId('error-note').waitFor();
  assert.match((await sync.byTestId('error-note').textContent()) ?? '', /is not a directory/);

  await sync.preview(path.join(root, 'usb', 'from-hq'));
  await sync.byTestId('import-state').filter({ hasText: 'Nothing is applied yet' }).waitFor();
  await expectAccessible(page, 'the Sync page with an import preview');
  // A model release shows HQ's version label (not the record number), its size and digest.
  const [modelChange, policyChange] = await sync.byTestId('import-change').allTextContents();
  assert.match(modelChange ?? '', /^model tinyversion 2025\.03, 1\.5 MiB, sha256 [0-9a-f]{16}…new$/);
  assert.equal(policyChange, 'policy site-policyv1new');
  await sync.apply();
  await sync.byTestId('import-state').filter({ hasText: 'Applied in one transaction' }).waitFor();
  await sync.byTestId('exchange-row').first().waitFor();
  assert.match((await sync.byTestId('exchange-row').first().textContent()) ?? '', /import.*hq-main.*1.*applied/);
  await win.statusOffline.filter({ hasNotText: 'no bundle exchanged yet' }).waitFor();

  await sync.exportTo(path.join(root, 'usb', 'to-hq'), 'hq-main');
  await sync.byTestId('export-result').waitFor();
  assert.match((await sync.byTestId('export-result').textContent()) ?? '', /Bundle 1 for hq-main/);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'sync-directory.png'), fullPage: true });
  await expectAccessible(page, 'the Sync page after an export');

  // --json streams one line per progress event; the result is the last line.
  const atHq = JSON.parse((await outpost(hq, '--json', 'bundle', 'import', path.join(root, 'usb', 'to-hq'))).trim().split('\n').at(-1) ?? '') as { state: string; acknowledged: number[] };
  assert.deepEqual([atHq.state, atHq.acknowledged], ['applied', [1]], 'the report carries the acknowledgement back to HQ');
  // The one refused preview answers 400 by design (the error envelope); anything else would be a script or CSP error.
  assert.deepEqual(
    consoleErrors.filter((e) => !/status of 400/.test(e)),
    [],
  );
});

test('the CLI refuses to trust without confirmation when there is no terminal, and explains', async (t) => {
  const root = tempDir(t);
  await outpost(path.join(root, 'hq'), 'keys', 'init', '--site-id', 'hq-main', '--role', 'hq');
  await outpost(path.join(root, 'site'), 'keys', 'init', '--site-id', 'site-x');
  await outpost(path.join(root, 'hq'), 'trust', 'export', '--out', path.join(root, 'hq.json'));
  const result = await runOutpost(['--data-dir', path.join(root, 'site'), 'trust', 'add', path.join(root, 'hq.json')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^outpost: trusting a peer needs a confirmation .* — compare the fingerprint with the peer, then run again with --yes\n$/);
  const list = await runOutpost(['--data-dir', path.join(root, 'site'), 'trust', 'list']);
  assert.match(list.stdout, /no trusted peers yet/);
  const usage = await runOutpost(['--data-dir', path.join(root, 'site'), 'bundle', 'export', '--to', path.join(root, 'b'), '--max-medium-size', 'huge']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /expected a size such as 32G/);
});
