import assert from 'node:assert/strict';
import test from 'node:test';
import { fakeWorkers, MODEL } from '../../../test/helpers/workers-fakes.js';

const MODEL_PATH = `/home/a/.outpost/models/${MODEL.sha256}.gguf`;

test("a model copy's progress carries bytes done and total, MB/s and the time left", async () => {
  const w = fakeWorkers();
  w.site.onUpload = (c) => {
    c.onStart?.(0, MODEL.sizeBytes);
    // 20 MB a second for 10 s, told every 256 KiB as the upload does (here every 100 ms of fake time).
    for (let tenth = 1; tenth <= 100; tenth++) {
      w.clock.advance(100);
      c.onProgress?.((MODEL.sizeBytes * tenth) / 100, MODEL.sizeBytes);
    }
  };
  await w.launch();
  const copies = w.progress.filter((p) => p.phase === 'model' && p.transfer);
  assert.ok(copies.length >= 15 && copies.length <= 25, `reported ${copies.length} times in 10 s of copying (twice a second)`);
  const middle = copies[Math.floor(copies.length / 2)]?.transfer;
  assert.ok(middle && Math.abs((middle.bytesPerSecond as number) - 20e6) < 1, `pace ${middle?.bytesPerSecond}`);
  assert.ok(middle && Math.abs((middle.etaSeconds as number) - (MODEL.sizeBytes - middle.doneBytes) / 20e6) < 0.01);
  assert.deepEqual({ done: copies.at(-1)?.transfer?.doneBytes, total: copies.at(-1)?.transfer?.totalBytes, eta: copies.at(-1)?.transfer?.etaSeconds, fraction: copies.at(-1)?.fraction }, { done: MODEL.sizeBytes, total: MODEL.sizeBytes, eta: 0, fraction: 1 });
  assert.ok(
    w.progress.filter((p) => p.phase !== 'model').every((p) => p.transfer === undefined),
    'only the copy carries a transfer',
  );
});

test('a copy that lands with another digest is removed and copied afresh once', async () => {
  const w = fakeWorkers();
  w.site.uploadQueue.push({ sizeBytes: MODEL.sizeBytes, sha256: 'cd'.repeat(32) });
  const deployment = await w.launch();
  assert.equal(deployment.state, 'ready');
  assert.deepEqual(w.site.since(0, /upload/), [`a: upload ${MODEL_PATH}`, `a: upload ${MODEL_PATH}`]);
  assert.ok(w.progress.some((p) => /has digest cdcdcdcdcdcd…, expected abababababab…; removed, copying afresh/.test(p.message)));
});

test('a copy that fails its digest twice refuses the launch, removed, before anything starts', async () => {
  const w = fakeWorkers();
  w.site.uploadQueue.push({ sizeBytes: MODEL.sizeBytes, sha256: 'cd'.repeat(32) }, { sizeBytes: MODEL.sizeBytes, sha256: 'ef'.repeat(32) });
  await assert.rejects(w.launch(), (error: Error & { code?: string }) => error.code === 'UNAVAILABLE' && /has digest efefefefefef…, expected abababababab… again after a fresh copy/.test(error.message));
  assert.deepEqual(w.site.since(0, /start/), []);
});

test('a local file that changed while it was copied is refused by the digest of the bytes read', async () => {
  const w = fakeWorkers();
  const hosts = w.site.hosts();
  w.site.hosts = () => ({ ...hosts, upload: async (...args) => ({ ...(await hosts.upload(...args)), sha256: '99'.repeat(32) }) });
  await assert.rejects(w.launch(), (error: Error & { code?: string }) => error.code === 'CONFLICT' && /changed while it was copied/.test(error.message));
  assert.deepEqual(w.site.since(0, /start/), []);
});

test('a copy cancelled mid-way stops the launch; nothing is started and the partial copy is left to resume', async () => {
  const w = fakeWorkers();
  const controller = new AbortController();
  w.site.onUpload = (c) => {
    c.onStart?.(0, MODEL.sizeBytes);
    c.onProgress?.(MODEL.sizeBytes / 4, MODEL.sizeBytes);
    controller.abort();
    if (c.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
  };
  await assert.rejects(w.launch('dep-test1', controller.signal), (error: Error & { code?: string }) => error.code === 'CANCELLED');
  assert.deepEqual(w.site.since(0, /start|rm -f/), [], 'nothing started, nothing removed');
});
