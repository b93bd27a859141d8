import assert from 'node:assert/strict';
import test from 'node:test';
import { OutpostError } from '../../../shared/errors.js';
import { seededBytes } from '../../../test/helpers/sync.js';
import { fakeSite, MemoryMedia, trust, type FakeSite } from '../../../test/helpers/sync-fakes.js';
import { BundleExporter } from './bundle-export.js';
import { BundleImporter } from './bundle-import.js';
import type { ChunkingParams } from './fastcdc.js';
import { valueDigest } from './records.js';

const CHUNKING: ChunkingParams = { minSize: 2 * 1024, averageSize: 8 * 1024, maxSize: 32 * 1024 };
const never = new AbortController().signal;

/** HQ with one released model of `size` bytes, and a site that trusts it unless told otherwise. */
function world(options: { size?: number; trusted?: boolean } = {}) {
  const clock = { ms: Date.parse('2025-03-01T08:00:00.000Z'), now: (): Date => new Date(clock.ms) };
  const media = new MemoryMedia();
  const hq = fakeSite('hq-main', 'hq', media, clock, CHUNKING);
  const site = fakeSite('site-a', 'site', media, clock, CHUNKING);
  if (options.trusted !== false) trust(site, hq);
  const model = hq.files.add(seededBytes(options.size ?? 160 * 1024, 9));
  hq.store.putStoredFile(model.digest, model.size, model.chunks);
  release(hq, 1, model.digest, model.size);
  return { clock, media, hq, site, model };
}

function release(hq: FakeSite, version: number, digest: string, size: number): void {
  const value = { name: 'tiny', label: `v${version}`, files: [{ path: 'tiny.gguf', digest, size }] };
  hq.store.putRecord({ kind: 'model', key: 'tiny', version, issuer: hq.identity.siteId, value, valueDigest: valueDigest(value), origin: 'local' }, new Date(0).toISOString());
}

const exportTo = (from: FakeSite, to: string) => new BundleExporter(from.deps).export({ to }, never, 'job');
const importFrom = (into: FakeSite, path: string, signal = never) => new BundleImporter(into.deps).import([path], false, signal, 'job');

/** Everything an import may change at the site. */
const stateOf = (site: FakeSite) => JSON.stringify([site.store.snapshot(), [...site.files.models.keys()], site.policy.current]);

async function refusal(work: Promise<unknown>): Promise<OutpostError> {
  const error = await work.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OutpostError, `an OutpostError, not ${String(error)}`);
  return error;
}

test('a bundle from a trusted HQ is staged, checked and applied: the model file and its record arrive together', async () => {
  const { hq, site, model } = world();
  await exportTo(hq, '/media/usb');
  const result = await importFrom(site, '/media/usb');
  assert.equal(result.state, 'applied');
  assert.equal(result.filesStored, 1);
  assert.deepEqual(site.files.models.get(model.digest), hq.files.models.get(model.digest));
  assert.equal(site.store.current('model', 'tiny')?.version, 1);
  assert.deepEqual(
    site.store.seen('hq-main').map((s) => s.sequence),
    [1],
  );
});

test('an untrusted issuer is refused before a chunk is read or anything is written', async () => {
  const { hq, site, media } = world({ trusted: false });
  await exportTo(hq, '/media/usb');
  const before = stateOf(site);
  const error = await refusal(importFrom(site, '/media/usb'));
  assert.equal(error.code, 'INVALID_INPUT');
  assert.match(error.message, /issuer "hq-main" is not a trusted peer/);
  assert.equal(media.chunkReads, 0);
  assert.equal(site.files.partials.size, 0, 'nothing staged');
  assert.equal(stateOf(site), before);
});

test('a bundle with a lower sequence than one already imported is refused and changes nothing', async () => {
  const { hq, site, model } = world();
  await exportTo(hq, '/media/first');
  release(hq, 2, model.digest, model.size);
  await exportTo(hq, '/media/second');
  assert.equal((await importFrom(site, '/media/second')).state, 'applied');
  const before = stateOf(site);
  const error = await refusal(importFrom(site, '/media/first'));
  assert.match(error.message, /bundle 1 from hq-main is older than bundle 2/);
  assert.equal(stateOf(site), before);
  assert.equal(site.store.current('model', 'tiny')?.version, 2);
});

test('importing the same bundle again changes nothing', async () => {
  const { hq, site, media } = world();
  await exportTo(hq, '/media/usb');
  await importFrom(site, '/media/usb');
  const before = stateOf(site);
  const reads = media.chunkReads;
  const again = await importFrom(site, '/media/usb');
  assert.equal(again.state, 'unchanged');
  assert.equal(media.chunkReads, reads, 'not a byte read again');
  assert.equal(stateOf(site), before);
});

test('a damaged chunk is named with its medium, and nothing is applied', async () => {
  const { hq, site, media, model } = world();
  await exportTo(hq, '/media/usb');
  const damaged = model.chunks[3]?.[0] as string;
  media.damage('/media/usb', damaged);
  const before = stateOf(site);
  const error = await refusal(importFrom(site, '/media/usb'));
  assert.match(error.message, new RegExp(`chunk ${damaged.slice(0, 12)}… on medium 1 does not match its digest`));
  assert.equal(stateOf(site), before);
  assert.equal(site.files.partials.size, 0, 'the file that did not check out is not kept');
});

test('cancelling mid-import leaves the store unchanged, and the next run applies it', async () => {
  const { hq, site, model } = world({ size: 400 * 1024 });
  await exportTo(hq, '/media/usb');
  const before = stateOf(site);
  const controller = new AbortController();
  let reports = 0;
  site.deps.progress = (p) => {
    reports += 1;
    if (p.phase === 'stage' && p.bytesDone > 0) controller.abort();
  };
  await assert.rejects(importFrom(site, '/media/usb', controller.signal), { name: 'AbortError' });
  assert.ok(reports > 0);
  assert.equal(stateOf(site), before, 'no record, no sequence, no model');
  site.deps.progress = () => undefined;
  assert.equal((await importFrom(site, '/media/usb')).state, 'applied');
  assert.ok(site.files.hasModel(model.digest));
});

test('a full disk is STORAGE and nothing is applied: refused up front when the space is known, or when a write fails', async () => {
  const { hq, site, model } = world();
  await exportTo(hq, '/media/usb');
  const before = stateOf(site);
  site.deps.freeBytes = () => model.size - 1;
  const upFront = await refusal(importFrom(site, '/media/usb'));
  assert.equal(upFront.code, 'STORAGE');
  assert.equal(site.files.partials.size, 0, 'nothing staged before the space check');
  site.deps.freeBytes = () => Number.MAX_SAFE_INTEGER;
  site.files.diskLeft = Math.floor(model.size / 2);
  const midway = await refusal(importFrom(site, '/media/usb'));
  assert.equal(midway.code, 'STORAGE');
  assert.match(midway.message, /filled up/);
  assert.equal(stateOf(site), before);
});
