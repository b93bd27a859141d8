import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { seededRandom } from '../helpers/seeded-random.js';
import { hqAndSite, installation, pin, readManifest, resign, seededBytes, type Installation } from '../helpers/sync.js';

const MiB = 1024 * 1024;

/** HQ releases a 3 MiB model (a few chunks) and exports it, optionally across media. */
async function releasedBundle(t: TestContext, options: { maxMediumSize?: number; size?: number } = {}) {
  const pair = await hqAndSite(t);
  const file = path.join(pair.root, 'model.gguf');
  fs.writeFileSync(file, seededBytes(options.size ?? 3 * MiB, 9));
  await pair.hq.call('sync.releaseModel', { path: file, name: 'tiny', version: '1' });
  const bundle = await pair.hq.call('sync.export', { to: path.join(pair.root, 'bundle'), maxMediumSize: options.maxMediumSize });
  return { ...pair, bundle };
}

/** The import is refused with a message matching `pattern`, and the site's state did not move. */
async function refusedWithoutChange(site: Installation, media: string[], pattern: RegExp): Promise<void> {
  const before = site.state();
  const error = await site.refusal('sync.import', { media });
  assert.match(error.message, pattern);
  assert.ok(error.hint, 'every refusal says what to do');
  assert.equal(site.state(), before, 'nothing was applied');
}

function chunkFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 'chunks')).map((c) => path.join(dir, 'chunks', c));
}

test('a flipped byte in the manifest is refused', async (t) => {
  const { site, bundle } = await releasedBundle(t);
  const file = path.join(bundle.path, 'envelope.json');
  const envelope = JSON.parse(fs.readFileSync(file, 'utf8')) as { payload: string };
  const payload = Buffer.from(envelope.payload, 'base64');
  payload[payload.indexOf('"sequence":1') + 11] = '2'.charCodeAt(0);
  envelope.payload = payload.toString('base64');
  fs.writeFileSync(file, JSON.stringify(envelope));
  await refusedWithoutChange(site, [bundle.path], /belongs to another bundle|signature does not verify/);
  // With medium.json made consistent again, the signature itself is what refuses it.
  const descriptor = JSON.parse(fs.readFileSync(path.join(bundle.path, 'medium.json'), 'utf8')) as { manifestDigest: string };
  descriptor.manifestDigest = (await import('node:crypto')).createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  fs.writeFileSync(path.join(bundle.path, 'medium.json'), JSON.stringify(descriptor));
  await refusedWithoutChange(site, [bundle.path], /signature does not verify with hq-main's key/);
});

test('a flipped byte in a chunk is refused', async (t) => {
  const { site, bundle } = await releasedBundle(t);
  const chunk = chunkFiles(bundle.path)[0] as string;
  const bytes = fs.readFileSync(chunk);
  bytes[100] = (bytes[100] as number) ^ 1;
  fs.writeFileSync(chunk, bytes);
  await refusedWithoutChange(site, [bundle.path], /does not match its digest \(damaged or tampered\)/);
  assert.match((await site.refusal('sync.verify', { media: [bundle.path] })).message, /does not match its digest/);
});

test('a bundle signed by another key under the trusted name is refused (wrong signer)', async (t) => {
  const { root, site, bundle } = await releasedBundle(t);
  const impostor = await installation(t, path.join(root, 'elsewhere'), 'hq-main', 'hq', new (await import('../helpers/sync.js')).TestClock());
  const manifest = readManifest(bundle.path);
  const fingerprint = (await impostor.call('identity.show', {})).signingKey.fingerprint;
  resign(bundle.path, { ...manifest, issuer: { ...manifest.issuer, keyFingerprint: fingerprint } }, impostor.signingPem(), fingerprint);
  await refusedWithoutChange(site, [bundle.path], /not by hq-main's pinned key/);
});

test('a bundle from an untrusted issuer is refused', async (t) => {
  const { root, site, clock } = await hqAndSite(t);
  const stranger = await installation(t, root, 'hq-other', 'hq', clock);
  await stranger.call('sync.releasePolicy', { policy: (await import('../helpers/sync.js')).POLICY });
  const bundle = await stranger.call('sync.export', { to: path.join(root, 'b') });
  await refusedWithoutChange(site, [bundle.path], /issuer "hq-other" is not a trusted peer/);
});

test('a key rotation travels in the bundle; the retired key is refused afterwards', async (t) => {
  const { root, hq, site } = await hqAndSite(t);
  const { POLICY } = await import('../helpers/sync.js');
  await hq.call('sync.releasePolicy', { policy: POLICY });
  const oldKeyBundle = await hq.call('sync.export', { to: path.join(root, 'old') });
  const oldFingerprint = (await hq.call('identity.show', {})).signingKey.fingerprint;
  const rotated = await hq.call('identity.rotate', { keys: ['signing'] });
  const newKeyBundle = await hq.call('sync.export', { to: path.join(root, 'new') });
  const result = await site.call('sync.import', { media: [newKeyBundle.path] });
  assert.deepEqual(result.keyRotation, { from: oldFingerprint, to: rotated.signingKey.fingerprint });
  const peer = (await site.call('sync.trustList', {})).find((p) => p.siteId === 'hq-main');
  assert.equal(peer?.fingerprint, rotated.signingKey.fingerprint);
  await refusedWithoutChange(site, [oldKeyBundle.path], /signed by .* a key hq-main has retired/);
});

test('an expired bundle is refused (freeze)', async (t) => {
  const { site, bundle, clock } = await releasedBundle(t);
  clock.advanceDays(31);
  await refusedWithoutChange(site, [bundle.path], /the bundle expired at/);
});

test('a bundle for another recipient is refused', async (t) => {
  const { root, hq, site, clock } = await hqAndSite(t);
  const other = await installation(t, root, 'site-b', 'site', clock);
  await pin(hq, other);
  await hq.call('sync.releasePolicy', { policy: (await import('../helpers/sync.js')).POLICY });
  const bundle = await hq.call('sync.export', { to: path.join(root, 'b'), for: 'site-b' });
  await refusedWithoutChange(site, [bundle.path], /addressed to site-b, not to this site \(site-a\)/);
});

test('a truncated chunk on a medium is refused', async (t) => {
  const { site, bundle } = await releasedBundle(t);
  const chunk = chunkFiles(bundle.path)[1] as string;
  fs.truncateSync(chunk, 1000);
  await refusedWithoutChange(site, [bundle.path], /is truncated \(1000 of \d+ bytes\)/);
});

test('a missing medium: verify refuses, import stages what it has and applies nothing', async (t) => {
  const { site, bundle } = await releasedBundle(t, { maxMediumSize: 2 * MiB });
  assert.ok(bundle.mediaPaths.length >= 2);
  const first = bundle.mediaPaths[0] as string;
  assert.match((await site.refusal('sync.verify', { media: [first] })).message, /medium 2(, \d)* of \d is missing/);
  const before = site.state();
  const partial = await site.call('sync.import', { media: [first] });
  assert.equal(partial.state, 'incomplete');
  assert.ok(partial.missingMedia.includes(2));
  assert.equal(site.state(), before);
  const rest = await site.call('sync.import', { media: bundle.mediaPaths.slice(1).reverse() });
  assert.equal(rest.state, 'applied');
  assert.equal(partial.chunksStaged + rest.chunksStaged, bundle.bundle.chunks, 'each chunk was copied once: the first medium was not needed again');
});

test('media from two bundles cannot be mixed', async (t) => {
  const { root, hq, site, bundle } = await releasedBundle(t, { maxMediumSize: 2 * MiB });
  const again = await hq.call('sync.export', { to: path.join(root, 'again'), maxMediumSize: 2 * MiB });
  await refusedWithoutChange(site, [bundle.mediaPaths[0] as string, again.mediaPaths[1] as string], /belong to different bundles/);
});

test('path traversal: "../" and absolute file names, non-hex chunk names and symlinked chunks are refused', async (t) => {
  const { hq, site, bundle } = await releasedBundle(t);
  const manifest = readManifest(bundle.path);
  const pem = hq.signingPem();
  const keyid = manifest.issuer.keyFingerprint;
  const model = manifest.records[0] as { value: { files: Array<{ path: string }> } };
  for (const evil of ['../../etc/passwd', '/etc/passwd']) {
    resign(bundle.path, { ...manifest, records: [{ ...model, value: { ...model.value, files: [{ ...model.value.files[0], path: evil }] } }] }, pem, keyid);
    await refusedWithoutChange(site, [bundle.path], /does not follow the bundle format .*relative path without/);
  }
  const media = [{ chunks: ['../../../tmp/evil', ...(manifest.media[0]?.chunks.slice(1) ?? [])] }];
  resign(bundle.path, { ...manifest, media }, pem, keyid);
  await refusedWithoutChange(site, [bundle.path], /does not follow the bundle format .*SHA-256 digest/);
  resign(bundle.path, manifest, pem, keyid);
  const chunk = chunkFiles(bundle.path)[0] as string;
  fs.renameSync(chunk, `${chunk}.real`);
  fs.symlinkSync(`${chunk}.real`, chunk);
  await refusedWithoutChange(site, [bundle.path], /is a symbolic link/);
});

test('endless data: a manifest declaring 1 TiB or a billion chunks, or a chunk longer than declared, is refused', async (t) => {
  const { hq, site, bundle } = await releasedBundle(t);
  const manifest = readManifest(bundle.path);
  const pem = hq.signingPem();
  const keyid = manifest.issuer.keyFingerprint;
  resign(bundle.path, { ...manifest, totals: { ...manifest.totals, bytes: 1024 ** 4 } }, pem, keyid);
  await refusedWithoutChange(site, [bundle.path], /declares 1\.0 TiB, more than the 256\.0 GiB a bundle may hold/);
  resign(bundle.path, { ...manifest, totals: { ...manifest.totals, chunks: 1_000_000_000 } }, pem, keyid);
  await refusedWithoutChange(site, [bundle.path], /declares 1000000000 chunks/);
  resign(bundle.path, manifest, pem, keyid);
  const chunk = chunkFiles(bundle.path)[0] as string;
  fs.appendFileSync(chunk, Buffer.alloc(4096));
  await refusedWithoutChange(site, [bundle.path], /more than the \d+ declared/);
});

test('a manifest listing one file twice is refused before anything is staged', async (t) => {
  const { hq, site, bundle } = await releasedBundle(t);
  const manifest = readManifest(bundle.path);
  resign(bundle.path, { ...manifest, files: [...manifest.files, ...manifest.files] }, hq.signingPem(), manifest.issuer.keyFingerprint);
  await refusedWithoutChange(site, [bundle.path], /is listed twice/);
  assert.ok(!fs.existsSync(path.join(site.dataDir, 'staging', 'files')) || fs.readdirSync(path.join(site.dataDir, 'staging', 'files')).length === 0);
});

test('an import cancelled midway resumes without copying the staged chunks again', async (t) => {
  const { site, bundle } = await releasedBundle(t);
  const controller = new AbortController();
  const unsubscribe = site.core.events.subscribe((m) => {
    const p = m.payload as { phase?: string; bytesDone?: number };
    if (m.name === 'sync.progress' && p.phase === 'stage' && (p.bytesDone ?? 0) > 0) controller.abort();
  });
  const before = site.state();
  await assert.rejects(site.call('sync.import', { media: [bundle.path] }, controller.signal), /cancelled/);
  unsubscribe();
  assert.equal(site.state(), before, 'nothing applied');
  const resumed = await site.call('sync.import', { media: [bundle.path] });
  assert.equal(resumed.state, 'applied');
  const staged = resumed.chunksAlreadyStaged;
  assert.ok(staged >= 1 && staged < bundle.bundle.chunks, `${staged} of ${bundle.bundle.chunks} chunks staged before the interruption`);
  assert.equal(resumed.chunksStaged, bundle.bundle.chunks - staged, 'only the chunks not staged were read from the medium again');
  assert.deepEqual(fs.readdirSync(path.join(site.dataDir, 'staging', 'files')), [], 'the assembled file left staging/');
});

test('fuzz: 1,000 seeded mutations of a real bundle are all refused', async (t) => {
  const { site, bundle } = await releasedBundle(t, { size: 700 * 1024 });
  const envelopeFile = path.join(bundle.path, 'envelope.json');
  const targets = [envelopeFile, ...chunkFiles(bundle.path)];
  const originals = new Map(targets.map((f) => [f, fs.readFileSync(f)]));
  const { next } = seededRandom(0x2545f491);
  let refused = 0;
  for (let i = 0; i < 1000; i += 1) {
    const target = i % 2 === 0 ? envelopeFile : (targets[1 + (next() % (targets.length - 1))] as string);
    const original = originals.get(target) as Buffer;
    const mutated = Buffer.from(original);
    const at = next() % mutated.length;
    mutated[at] = (mutated[at] as number) ^ (1 + (next() % 255));
    fs.writeFileSync(target, mutated);
    const envelope = await site.core.dispatcher.invoke('sync.verify', { media: [bundle.path] }, { actor: 'cli', user: 'fuzz' });
    if (!envelope.ok && envelope.error.code !== 'INTERNAL') refused += 1;
    fs.writeFileSync(target, original);
  }
  assert.equal(refused, 1000);
  assert.equal((await site.call('sync.verify', { media: [bundle.path] })).filesVerified, 1, 'the restored bundle still verifies');
});
