import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { hqAndSite, installation, TestClock } from '../../test/helpers/sync.js';
import { tempDir } from '../../test/helpers/temp.js';

test('a removed peer is no longer trusted: listed no more, its bundles refused, the removal journaled', async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  const removed = await site.call('sync.trustRemove', { site: 'hq-main' });
  assert.equal(removed.removed, 'hq-main');
  assert.deepEqual(await site.call('sync.trustList', {}), []);
  const journal = await site.call('system.journal', { limit: 5 });
  assert.ok(
    journal.some((e) => e.action === 'sync.trustRemove' && e.outcome === 'ok'),
    'the removal is in the ops journal',
  );

  const medium = path.join(root, 'usb');
  await hq.call('sync.export', { to: medium, for: 'site-a' });
  const refusal = await site.refusal('sync.verify', { media: [medium] });
  assert.match(refusal.message, /hq-main/);
});

test('this installation cannot remove itself, and an unknown peer is named as not trusted', async (t) => {
  const { site } = await hqAndSite(t);
  assert.equal((await site.refusal('sync.trustRemove', { site: 'site-a' })).code, 'INVALID_INPUT');
  const unknown = await site.refusal('sync.trustRemove', { site: 'hq-other' });
  assert.equal(unknown.code, 'NOT_FOUND');
  assert.match(unknown.message, /hq-other is not a trusted peer/);
  assert.equal((await site.call('sync.trustList', {})).length, 1, 'nothing was removed');
});

test("a site's trust file where HQ's is expected is refused by role, before anything is trusted", async (t) => {
  const clock = new TestClock();
  const root = tempDir(t, 'outpost-trust-');
  const site = await installation(t, root, 'site-a', 'site', clock);
  const other = await installation(t, root, 'site-b', 'site', clock);
  const file = path.join(root, 'site-b.trust.json');
  fs.writeFileSync(file, JSON.stringify(await other.call('sync.trustExport', {})));
  const inspected = await site.refusal('sync.trustInspect', { path: file, role: 'hq' });
  assert.equal(inspected.code, 'INVALID_INPUT');
  assert.match(inspected.message, /is the trust file of a site site-b, not of HQ/);
  const fingerprint = (await site.call('sync.trustInspect', { path: file })).fingerprint;
  assert.equal((await site.refusal('sync.trustAdd', { path: file, fingerprint, role: 'hq' })).code, 'INVALID_INPUT');
  assert.deepEqual(await site.call('sync.trustList', {}), []);
});

test('the trust file is written where asked, never over an existing file, and a missing folder is named', async (t) => {
  const { root, site } = await hqAndSite(t);
  const file = path.join(root, 'site.trust.json');
  const exported = await site.call('sync.trustExport', { to: file });
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), exported);
  fs.writeFileSync(file, 'kept');
  const again = await site.refusal('sync.trustExport', { to: file });
  assert.equal(again.code, 'CONFLICT');
  assert.match(again.message, /already exists/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'kept', 'nothing was overwritten');
  assert.match((await site.refusal('sync.trustExport', { to: path.join(root, 'no-such-dir', 'x.json') })).message, /folder of .* does not exist/);
});
