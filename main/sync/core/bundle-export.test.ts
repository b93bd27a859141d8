import assert from 'node:assert/strict';
import test from 'node:test';
import { seededBytes } from '../../../test/helpers/sync.js';
import { fakeSite, MemoryMedia, trust } from '../../../test/helpers/sync-fakes.js';
import { BundleExporter } from './bundle-export.js';
import { BundleImporter } from './bundle-import.js';
import type { ChunkingParams } from './fastcdc.js';
import { valueDigest } from './records.js';

const CHUNKING: ChunkingParams = { minSize: 2 * 1024, averageSize: 8 * 1024, maxSize: 32 * 1024 };
const never = new AbortController().signal;

function hqWithModel(size: number) {
  const clock = { now: (): Date => new Date('2025-03-01T08:00:00.000Z') };
  const media = new MemoryMedia();
  const hq = fakeSite('hq-main', 'hq', media, clock, CHUNKING);
  const model = hq.files.add(seededBytes(size, 4));
  hq.store.putStoredFile(model.digest, model.size, model.chunks);
  const value = { name: 'tiny', label: 'v1', files: [{ path: 'tiny.gguf', digest: model.digest, size: model.size }] };
  hq.store.putRecord({ kind: 'model', key: 'tiny', version: 1, issuer: 'hq-main', value, valueDigest: valueDigest(value), origin: 'local' }, clock.now().toISOString());
  return { clock, media, hq, model };
}

test('export splits the chunks across media by the size limit; every medium carries the envelope, and the media import in any order', async () => {
  const { clock, media, hq, model } = hqWithModel(600 * 1024);
  const capacity = 256 * 1024;
  const result = await new BundleExporter(hq.deps).export({ to: '/out/bundle', maxMediumSize: capacity }, never, 'job');
  const written = media.published.get('/out/bundle') ?? [];
  assert.ok(written.length >= 3, `${written.length} media`);
  assert.deepEqual(
    result.mediaPaths,
    written.map((m) => m.dir),
  );
  for (const medium of written) {
    const bytes = [...medium.chunks.values()].reduce((sum, c) => sum + c.length, 0) + medium.envelope.length;
    assert.ok(bytes <= capacity, `${medium.dir} holds ${bytes} bytes`);
    assert.deepEqual(medium.envelope, written[0]?.envelope);
    assert.equal(medium.descriptor.count, written.length);
  }
  const carried = new Set(written.flatMap((m) => [...m.chunks.keys()]));
  assert.deepEqual(carried, new Set(model.chunks.map(([d]) => d)));
  assert.equal(hq.store.exchanges(10)[0]?.direction, 'export');

  const site = fakeSite('site-a', 'site', media, clock, CHUNKING);
  trust(site, hq);
  const importer = new BundleImporter(site.deps);
  const [last, ...others] = [...written].reverse();
  const partial = await importer.import([last?.dir as string], false, never, 'job');
  assert.equal(partial.state, 'incomplete');
  assert.deepEqual(
    partial.missingMedia,
    others.map((m) => m.descriptor.index).sort((a, b) => a - b),
  );
  const rest = await importer.import(
    others.map((m) => m.dir),
    false,
    never,
    'job',
  );
  assert.equal(rest.state, 'applied');
  assert.ok(site.files.hasModel(model.digest));
});

test('a cancelled export leaves no bundle and records nothing', async () => {
  const { media, hq } = hqWithModel(300 * 1024);
  const controller = new AbortController();
  hq.deps.progress = (p) => {
    if (p.bytesDone > 0) controller.abort();
  };
  const before = hq.store.snapshot();
  await assert.rejects(new BundleExporter(hq.deps).export({ to: '/out/bundle' }, controller.signal, 'job'), { name: 'AbortError' });
  assert.equal(media.published.size, 0);
  assert.equal(hq.store.snapshot(), before, 'no sent bundle, no exchange, the sequence not used');
});
