import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { POLICY, hqAndSite, installation, pin, seededBytes, TestClock } from '../helpers/sync.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

test('HQ and a site exchange bundles both ways: model and policy in, reports and acknowledgements out, then a delta', async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  const model = path.join(root, 'tiny.gguf');
  const original = seededBytes(6 * MiB, 1);
  fs.writeFileSync(model, original);
  const release = await hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '1.0' });
  await hq.call('sync.releasePolicy', { policy: POLICY });
  const first = await hq.call('sync.export', { to: path.join(root, 'b1') });
  assert.equal(first.bundle.recipient, '*');

  const verified = await site.call('sync.verify', { media: [first.path] });
  assert.equal(verified.filesVerified, 1);
  const imported = await site.call('sync.import', { media: [first.path] });
  assert.equal(imported.state, 'applied');
  assert.deepEqual(
    imported.changes.map((c) => [c.kind, c.change]),
    [
      ['model', 'new'],
      ['policy', 'new'],
    ],
  );
  const digest = (release.value as { files: Array<{ digest: string }> }).files[0]?.digest ?? '';
  assert.deepEqual(fs.readFileSync(path.join(site.dataDir, 'models', digest)), original, 'the model arrives byte for byte, named by its digest');
  assert.deepEqual(fs.readdirSync(path.join(site.dataDir, 'staging', 'files')), [], 'staging is emptied after the import');
  const status = await site.call('system.status', {});
  assert.equal(status.hoursSinceLastExchange, 0, 'the status bar sees the exchange');

  const report = await site.call('sync.export', { to: path.join(root, 'r1') });
  assert.equal(report.bundle.recipient, 'hq-main');
  const atHq = await hq.call('sync.import', { media: [report.path] });
  assert.deepEqual(atHq.acknowledged, [1], "HQ learns that the site holds bundle 1's chunks");
  const kinds = (await hq.call('sync.records', {}))
    .filter((r) => r.issuer === 'site-a')
    .map((r) => r.kind)
    .sort();
  assert.deepEqual(kinds, ['site.deployments', 'site.inventory', 'site.journal']);

  const edited = Buffer.from(original);
  edited.fill(7, 3 * MiB, 3 * MiB + 4096);
  fs.writeFileSync(model, edited);
  await hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '1.1' });
  const delta = await hq.call('sync.export', { to: path.join(root, 'b2'), for: 'site-a' });
  assert.ok(delta.chunksLeftOut >= 3, `${delta.chunksLeftOut} chunks left out`);
  assert.ok(delta.bytesWritten < 3 * MiB, `delta carries ${delta.bytesWritten} bytes of a 6 MiB file`);
  const second = await site.call('sync.import', { media: [delta.path] });
  assert.equal(second.state, 'applied');
  assert.ok(second.chunksHeldLocally >= 3, 'left-out chunks are read from the model already here');
  assert.deepEqual(
    second.changes.find((c) => c.kind === 'model'),
    { kind: 'model', key: 'tiny', incomingVersion: 2, currentVersion: 1, change: 'update', resolution: null, release: { name: 'tiny', version: '1.1', sizeBytes: 6 * MiB, digest: createHash('sha256').update(edited).digest('hex') } },
  );
  const models = fs.readdirSync(path.join(site.dataDir, 'models')).filter((f) => !f.startsWith('.'));
  assert.equal(models.length, 2);
  assert.ok(models.some((f) => fs.readFileSync(path.join(site.dataDir, 'models', f)).equals(edited)));
  const history = await site.call('sync.exchanges', { limit: 10 });
  assert.deepEqual(
    history.map((h) => [h.direction, h.peer, h.sequence]),
    [
      ['import', 'hq-main', 2],
      ['export', 'hq-main', 1],
      ['import', 'hq-main', 1],
    ],
  );
});

test('importing the same bundle twice changes nothing', async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  fs.writeFileSync(path.join(root, 'm.bin'), seededBytes(2 * MiB, 2));
  await hq.call('sync.releaseModel', { path: path.join(root, 'm.bin'), name: 'tiny', version: '1' });
  const bundle = await hq.call('sync.export', { to: path.join(root, 'b') });
  await site.call('sync.import', { media: [bundle.path] });
  const before = site.state();
  const again = await site.call('sync.import', { media: [bundle.path] });
  assert.equal(again.state, 'unchanged');
  assert.deepEqual(
    again.changes.map((c) => c.change),
    ['unchanged'],
  );
  assert.equal(site.state(), before);
});

test('two bundles imported in either order reach the same state', async (t) => {
  const clock = new TestClock();
  const root = tempDir(t, 'outpost-sync-');
  const hqA = await installation(t, root, 'hq-a', 'hq', clock);
  const hqB = await installation(t, root, 'hq-b', 'hq', clock);
  const site1 = await installation(t, root, 'site-one', 'site', clock);
  const site2 = await installation(t, root, 'site-two', 'site', clock);
  for (const s of [site1, site2]) for (const h of [hqA, hqB]) await pin(s, h);
  await hqA.call('sync.releasePolicy', { policy: POLICY });
  const a1 = await hqA.call('sync.export', { to: path.join(root, 'a1') });
  await hqA.call('sync.releasePolicy', { policy: { ...POLICY, planner: { ...POLICY.planner, objective: 'latency' } } });
  const a2 = await hqA.call('sync.export', { to: path.join(root, 'a2') });
  // A second HQ issues the same record at the same version with another value: a conflict both sites must settle alike.
  await hqB.call('sync.releasePolicy', { policy: { ...POLICY, planner: { ...POLICY.planner, maxMemoryFill: 0.8 } } });
  await hqB.call('sync.releasePolicy', { policy: { ...POLICY, planner: { ...POLICY.planner, maxMemoryFill: 0.7 } } });
  const b1 = await hqB.call('sync.export', { to: path.join(root, 'b1') });

  for (const b of [a1, a2, b1]) await site1.call('sync.import', { media: [b.path] });
  await site2.call('sync.import', { media: [b1.path] });
  await site2.call('sync.import', { media: [a2.path] });
  const rollback = await site2.refusal('sync.import', { media: [a1.path] });
  assert.match(rollback.message, /older than bundle 2, already imported: an old bundle cannot roll anything back/);

  const policies = async (s: typeof site1) => (await s.call('sync.records', { kind: 'policy' })).map((r) => [r.version, r.issuer, r.valueDigest]);
  assert.deepEqual(await policies(site2), await policies(site1));
  assert.equal((await policies(site1))[0]?.[0], 2);
  assert.deepEqual(await site2.call('router.policy.show', {}), await site1.call('router.policy.show', {}), 'and both routers run with the winning policy');
});
