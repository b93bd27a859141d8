import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { StoreConfigSource } from '../../main/router/adapters/config-source.js';
import { DEFAULT_POLICY } from '../../shared/domain/router.js';
import { POLICY, hqAndSite, type Installation } from '../helpers/sync.js';

/** What the router process sees: its own read-only connection to the site's store. */
function routerView(site: Installation): { version: number; policy: unknown } {
  const source = new StoreConfigSource(path.join(site.dataDir, 'outpost.db'));
  try {
    const config = source.read();
    return { version: config.version, policy: config.policy };
  } finally {
    source.close();
  }
}

const HQ_POLICY = { ...POLICY, routing: { ...POLICY.routing, failover: { maxAttempts: 4, retryOnStatus: [502] } }, router: { idleTimeoutMs: 12_345, breakerFailures: 7 } };

test("an imported policy is what the site's router runs with, and its config version moves in the import's transaction", async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  const before = routerView(site);
  assert.deepEqual(before.policy, DEFAULT_POLICY);
  await hq.call('sync.releasePolicy', { policy: HQ_POLICY });
  const bundle = await hq.call('sync.export', { to: path.join(root, 'b1') });

  const preview = await site.call('sync.import', { media: [bundle.path], dryRun: true });
  assert.deepEqual(
    preview.changes.map((c) => [c.kind, c.change]),
    [['policy', 'new']],
  );
  assert.deepEqual(routerView(site), before, 'a preview changes nothing the router reads');

  await site.call('sync.import', { media: [bundle.path] });
  const expected = { ...DEFAULT_POLICY, maxRetries: 3, idleTimeoutMs: 12_345, breakerFailures: 7 };
  const after = routerView(site);
  assert.deepEqual(after.policy, expected, 'maxAttempts 4 is 3 retries; fields the record leaves out take the defaults');
  assert.ok(after.version > before.version, `config version ${before.version} → ${after.version}: the running router reloads`);
  assert.deepEqual(await site.call('router.policy.show', {}), expected);
});

test('a router policy edited at the site is a local edit: the same HQ version leaves it, a newer one replaces it as a reported conflict', async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  await hq.call('sync.releasePolicy', { policy: HQ_POLICY });
  await site.call('sync.import', { media: [(await hq.call('sync.export', { to: path.join(root, 'b1') })).path] });
  await site.call('router.policy.set', { idleTimeoutMs: 999 });

  const again = await hq.call('sync.export', { to: path.join(root, 'b2') });
  const kept = await site.call('sync.import', { media: [again.path] });
  const keptChange = kept.changes.find((c) => c.kind === 'policy');
  assert.equal(keptChange?.change, 'unchanged');
  assert.match(keptChange?.resolution ?? '', /the router policy edited here \(on version 1\) is kept/);
  assert.equal((await site.call('router.policy.show', {})).idleTimeoutMs, 999);

  await hq.call('sync.releasePolicy', { policy: { ...HQ_POLICY, router: { idleTimeoutMs: 20_000 } } });
  const newer = await hq.call('sync.export', { to: path.join(root, 'b3') });
  const preview = await site.call('sync.import', { media: [newer.path], dryRun: true });
  const conflict = { kind: 'policy', key: 'site-policy', incomingVersion: 2, currentVersion: 1, change: 'conflict', resolution: "the router policy edited here (on version 1) is replaced: HQ's version 2 is newer" };
  assert.deepEqual(
    preview.changes.find((c) => c.kind === 'policy'),
    conflict,
    'the preview shows the conflict and how it resolves',
  );
  assert.equal((await site.call('router.policy.show', {})).idleTimeoutMs, 999, 'before it is applied');
  const applied = await site.call('sync.import', { media: [newer.path] });
  assert.deepEqual(
    applied.changes.find((c) => c.kind === 'policy'),
    conflict,
  );
  assert.deepEqual(routerView(site).policy, { ...DEFAULT_POLICY, maxRetries: 3, idleTimeoutMs: 20_000 });
});
