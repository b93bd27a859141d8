import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { DRIVES_LISTING_ENV, DriveBay } from '../helpers/drives.js';
import { hqAndSite, installation, type Installation, seededBytes, TestClock } from '../helpers/sync.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

/** Every in-process core opened in this test lists the bay's drives; the variable is read when a core opens. */
function driveBay(t: TestContext): DriveBay {
  const bay = new DriveBay(tempDir(t, 'outpost-drives-'));
  process.env[DRIVES_LISTING_ENV] = bay.listing;
  t.after(() => delete process.env[DRIVES_LISTING_ENV]);
  return bay;
}

async function releaseModel(hq: Installation, root: string, size: number, seed = 7): Promise<void> {
  const model = path.join(root, `model-${seed}.gguf`);
  fs.writeFileSync(model, seededBytes(size, seed));
  await hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '2' });
}

/** What an export may write in the store: the bundles sent and the history. */
function exportState(inst: Installation): Promise<string> {
  return inst.call('sync.exchanges', { limit: 100 }).then((e) => JSON.stringify(e));
}

test('a drive lists with its label and free space; an export to it is flushed and safe to remove; the site finds the bundle on it and imports it', async (t) => {
  const bay = driveBay(t);
  const { root, hq, site } = await hqAndSite(t);
  await releaseModel(hq, root, 3 * MiB);
  const mount = bay.plug('OUTPOST-1', 512 * MiB);
  const [drive] = await hq.call('sync.drives', {});
  assert.deepEqual([drive?.label, drive?.mount, drive?.free, drive?.removable, drive?.hotplug, drive?.bundles], ['OUTPOST-1', mount, 512 * MiB, true, true, []]);

  const plan = await hq.call('sync.exportPlan', { drives: [mount] });
  assert.equal(plan.fits, true);
  assert.ok(plan.bundleBytes > 3 * MiB && plan.bundleBytes < 4 * MiB, `the bundle's size is the model's plus the manifest: ${plan.bundleBytes}`);
  assert.equal(plan.freeBytes, 512 * MiB);
  assert.match(plan.advice, /fits on OUTPOST-1/);

  const result = await hq.call('sync.export', { drives: [mount] });
  assert.equal(result.safeToRemove, true);
  assert.deepEqual(
    result.targets.map((t) => t.label),
    ['OUTPOST-1'],
  );
  assert.equal(result.path, path.join(mount, `outpost-hq-main-${result.bundle.sequence}`));
  assert.deepEqual(fs.readdirSync(mount), [path.basename(result.path)], 'no temporary folder or marker is left once complete');

  const [seen] = await site.call('sync.drives', {});
  assert.deepEqual(seen?.bundles, [{ path: result.path, manifestDigest: result.bundle.manifestDigest, issuer: 'hq-main', recipient: '*', sequence: 1, fromHere: false, medium: 1, count: 1, incomplete: false }]);
  assert.equal((await hq.call('sync.drives', {}))[0]?.bundles[0]?.fromHere, true, 'HQ sees its own export as written here');
  const preview = await site.call('sync.import', { media: [result.path], dryRun: true });
  assert.equal(preview.state, 'preview');
  const applied = await site.call('sync.import', { media: [result.path] });
  assert.equal(applied.state, 'applied');
});

test('a drive too small is said before writing, with the split it would need; nothing is written and the sequence is not used', async (t) => {
  const bay = driveBay(t);
  const { root, hq } = await hqAndSite(t);
  await releaseModel(hq, root, 6 * MiB);
  const mount = bay.plug('OUTPOST-1', 4 * MiB);
  const before = await exportState(hq);
  const plan = await hq.call('sync.exportPlan', { drives: [mount] });
  assert.equal(plan.fits, false);
  assert.equal(plan.mediaNeeded, 2);
  assert.match(plan.advice, /the bundle needs 6\.\d MiB and OUTPOST-1 has 4\.0 MiB free: split it across 2 drives of this size, or choose a larger drive/);
  const refusal = await hq.refusal('sync.export', { drives: [mount] });
  assert.equal(refusal.code, 'INVALID_INPUT');
  assert.match(refusal.message, /OUTPOST-1 has 4\.0 MiB free/);
  assert.match(refusal.hint ?? '', /nothing was written/);
  assert.deepEqual(fs.readdirSync(mount), []);
  assert.equal(await exportState(hq), before);
  const unknown = await hq.refusal('sync.exportPlan', { drives: [path.join(bay.root, 'nowhere')] });
  assert.deepEqual([unknown.code, /is not a mounted removable drive/.test(unknown.message)], ['NOT_FOUND', true]);
  const both = await hq.refusal('sync.export', { drives: [mount], to: path.join(root, 'b') });
  assert.equal(both.code, 'INVALID_INPUT');
});

test('a drive removed mid-export: a clear error, the partial bundle marked incomplete and refused by an import, nothing changed in the store', async (t) => {
  const bay = driveBay(t);
  const { root, hq, site } = await hqAndSite(t);
  await releaseModel(hq, root, 24 * MiB);
  const mount = bay.plug('OUTPOST-1', 512 * MiB);
  const pulled = path.join(bay.root, 'pulled-out');
  const before = await exportState(hq);
  // The drive goes (its mount directory disappears) as the first chunk is on its way.
  const stop = hq.core.events.subscribe((message) => {
    if (message.name === 'sync.progress' && fs.existsSync(mount)) {
      fs.renameSync(mount, pulled);
      bay.unplug('OUTPOST-1');
    }
  });
  const refusal = await hq.refusal('sync.export', { drives: [mount] });
  stop();
  assert.equal(refusal.code, 'UNAVAILABLE');
  assert.match(refusal.message, new RegExp(`the drive at ${mount} disappeared while the bundle was being written`));
  assert.match(refusal.hint ?? '', /marked incomplete/);
  assert.equal(await exportState(hq), before, 'no exchange recorded');

  // Plugged in again: the unfinished bundle is there, marked, listed as such, and refused.
  fs.renameSync(pulled, mount);
  bay.plug('OUTPOST-1', 512 * MiB);
  const [drive] = await site.call('sync.drives', {});
  const partial = drive?.bundles[0];
  assert.equal(partial?.incomplete, true);
  assert.ok(fs.existsSync(path.join(partial?.path ?? '', 'EXPORT-INCOMPLETE.txt')));
  const siteBefore = site.state();
  for (const media of [[partial?.path ?? ''], [mount]]) {
    const refused = await site.refusal('sync.import', { media });
    assert.match(refused.message, /is an unfinished export .* the drive was removed, or the export failed/);
  }
  assert.equal(site.state(), siteBefore);

  // The sequence was not used: the next export is still bundle 1.
  const again = await hq.call('sync.export', { drives: [mount] });
  assert.equal(again.bundle.sequence, 1);
});

test('split across two drives; the import asks for the next drive by its label and continues when it is plugged in', async (t) => {
  const bay = driveBay(t);
  const { root, hq, site } = await hqAndSite(t);
  await releaseModel(hq, root, 5 * MiB);
  const first = bay.plug('OUTPOST-1', 5 * MiB);
  const second = bay.plug('OUTPOST-2', 5 * MiB);
  const alone = await hq.call('sync.exportPlan', { drives: [first] });
  assert.deepEqual([alone.fits, alone.mediaNeeded], [false, 2]);
  const split = await hq.call('sync.exportPlan', { drives: [first, second] });
  assert.equal(split.fits, true);
  assert.match(split.advice, /split across 2 drives: OUTPOST-1, OUTPOST-2/);
  const result = await hq.call('sync.export', { drives: [first, second] });
  assert.equal(result.mediaPaths.length, 2);
  assert.deepEqual(
    result.targets.map((t) => t.label),
    ['OUTPOST-1', 'OUTPOST-2'],
  );

  bay.unplug('OUTPOST-2');
  const [one] = await site.call('sync.drives', {});
  assert.deepEqual([one?.label, one?.bundles[0]?.medium, one?.bundles[0]?.count], ['OUTPOST-1', 1, 2]);
  const partly = await site.call('sync.import', { media: [one?.bundles[0]?.path ?? ''] });
  assert.equal(partly.state, 'incomplete');
  assert.equal(partly.nextMedium?.prompt, 'Insert the drive labelled OUTPOST-2 (medium 2 of 2).');

  bay.unplug('OUTPOST-1');
  bay.plug('OUTPOST-2', 5 * MiB);
  const [two] = await site.call('sync.drives', {});
  const medium = two?.bundles.find((b) => b.manifestDigest === partly.nextMedium?.manifestDigest && b.medium === partly.nextMedium?.index);
  assert.ok(medium, 'the drive asked for holds the medium asked for');
  const applied = await site.call('sync.import', { media: [medium.path] });
  assert.equal(applied.state, 'applied');
  assert.equal(applied.nextMedium, null);
});

test('an import from an HQ this site does not trust is refused before anything is written', async (t) => {
  const bay = driveBay(t);
  const { root, site } = await hqAndSite(t);
  const stranger = await installation(t, root, 'hq-other', 'hq', new TestClock());
  await releaseModel(stranger, root, 2 * MiB);
  const mount = bay.plug('OUTPOST-1', 512 * MiB);
  const bundle = await stranger.call('sync.export', { drives: [mount] });
  const before = site.state();
  const files = listTree(site.dataDir);
  const refusal = await site.refusal('sync.import', { media: [bundle.path] });
  assert.match(refusal.message, /hq-other/);
  assert.match(refusal.message + (refusal.hint ?? ''), /trust/i);
  assert.equal(site.state(), before);
  assert.deepEqual(listTree(site.dataDir), files, 'nothing staged, nothing stored');
});

/** Files under a data dir, leaving out the database and logs (which a refused call journals into). */
function listTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !/^(outpost\.db|logs)/.test(f)).sort();
}
