/**
 * Bundle throughput against `sha256sum` on the same file in the same run.
 *   npm run bench:bundle [-- --size 4G] [--dir /path/on/the/disk/to/measure]
 * Prints: sha256sum time, then release (chunk + hash + copy into models/), export and import times with their
 * throughput as a ratio of sha256sum's, the peak RSS, and the size of a re-export after 1% of the file changed
 * in scattered places, as a fraction of the full bundle (every byte on the medium, the signed manifest included).
 * A second baseline is the disk's own durable write speed (`dd … conv=fdatasync` of the same size in the same
 * folder): import syncs every byte it writes before the file is renamed into models/ (what makes a kill -9 or a
 * power cut at any point safe), so it cannot be faster than that, whatever sha256sum reads at.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { parseSize } from '../../main/sync/index.js';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const size = parseSize(option('size', '1G'));
if (size === null) throw new Error('--size expects e.g. 1G or 4G');
const root = fs.mkdtempSync(path.join(option('dir', os.tmpdir()), 'outpost-bench-sync-'));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function call<K extends CallName>(core: Core, name: K, input: CallInput<K>): Promise<CallOutput<K>> {
  const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
  if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`);
  return envelope.result as CallOutput<K>;
}

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

/** Deterministic incompressible bytes (AES-CTR keystream of a fixed key), written in 8 MiB blocks. */
function generate(file: string, bytes: number): void {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < bytes; written += zeros.length) fs.writeSync(fd, cipher.update(zeros.subarray(0, Math.min(zeros.length, bytes - written))));
  fs.closeSync(fd);
}

/**
 * 1% of the bytes rewritten with new (seeded, incompressible) content in runs of 640 KiB, the size of one tensor,
 * spread evenly over the file: 64 places in 4 GiB, 16 in 1 GiB. New content, not a constant fill: a long run of one
 * byte value has no content-defined cut point at all, which no real weight update looks like. Expect about the
 * edited bytes plus one to two ~1 MiB chunks per place; many more, smaller places cost more (each one dirties at
 * least a chunk), fewer larger ones less.
 */
function scatterEdits(file: string, bytes: number): number {
  const fd = fs.openSync(file, 'r+');
  const each = 640 * 1024;
  const places = Math.max(1, Math.round(bytes / 100 / each));
  for (let i = 0; i < places; i += 1) {
    const content = createCipheriv('aes-128-ctr', Buffer.alloc(16, 9), Buffer.alloc(16, i)).update(Buffer.alloc(each));
    fs.writeSync(fd, content, 0, each, Math.floor(((i + 0.5) * bytes) / places));
  }
  fs.closeSync(fd);
  return places;
}

/** Everything the bundle puts on the medium: chunks, the signed envelope and the medium descriptor. */
function bytesOnMedium(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((sum, entry) => (entry.isFile() ? sum + fs.statSync(path.join(entry.parentPath, entry.name)).size : sum), 0);
}

try {
  const model = path.join(root, 'model.gguf');
  generate(model, size);
  // The generated file's writeback must not run under the baseline's timing (it halved sha256sum's speed once),
  // and the baseline is hashing speed, not the disk's: the file is read once first so that it comes from the page
  // cache, as the bundle's own reads mostly do (the host may still evict it: the line below says what it read at).
  spawnSync('sync');
  spawnSync('sh', ['-c', 'cat "$1" > /dev/null', 'warm', model]);
  const [, shaSeconds] = await timed(() => {
    const run = spawnSync('sha256sum', [model], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`sha256sum failed: ${run.stderr}`);
  });
  const [, diskSeconds] = await timed(() => {
    const blocks = Math.max(1, Math.round(size / (8 * 1024 * 1024)));
    const run = spawnSync('dd', ['if=/dev/zero', `of=${path.join(root, 'dd.bin')}`, 'bs=8M', `count=${blocks}`, 'conv=fdatasync'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`dd failed: ${run.stderr}`);
  });
  fs.rmSync(path.join(root, 'dd.bin'));
  const hq = openCore({ dataDir: path.join(root, 'hq') });
  const site = openCore({ dataDir: path.join(root, 'site') });
  await call(hq, 'identity.init', { siteId: 'bench-hq', role: 'hq' });
  await call(site, 'identity.init', { siteId: 'bench-site', role: 'site' });
  for (const [i, [a, b]] of (
    [
      [hq, site],
      [site, hq],
    ] as const
  ).entries()) {
    const file = path.join(root, `peer-${i}.trust.json`);
    fs.writeFileSync(file, JSON.stringify(await call(b, 'sync.trustExport', {})));
    await call(a, 'sync.trustAdd', { path: file, fingerprint: (await call(a, 'sync.trustInspect', { path: file })).fingerprint });
  }
  const [, releaseSeconds] = await timed(() => call(hq, 'sync.releaseModel', { path: model, name: 'bench', version: '1' }));
  const [full, exportSeconds] = await timed(() => call(hq, 'sync.export', { to: path.join(root, 'full') }));
  const [, importSeconds] = await timed(() => call(site, 'sync.import', { media: [full.path] }));
  const report = await call(site, 'sync.export', { to: path.join(root, 'report') });
  await call(hq, 'sync.import', { media: [report.path] });
  const places = scatterEdits(model, size);
  await call(hq, 'sync.releaseModel', { path: model, name: 'bench', version: '2' });
  const delta = await call(hq, 'sync.export', { to: path.join(root, 'delta'), for: 'bench-site' });
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  hq.close();
  site.close();

  const rate = (seconds: number) => `${mb(size / seconds)} MiB/s`;
  const ratio = (seconds: number) => (shaSeconds / seconds).toFixed(2);
  console.log(`file: ${mb(size)} MiB on ${root} (${os.cpus().length} cores)`);
  console.log(`sha256sum          ${shaSeconds.toFixed(2)} s  ${rate(shaSeconds)}  (baseline)`);
  console.log(`release model add  ${releaseSeconds.toFixed(2)} s  ${rate(releaseSeconds)}  ratio ${ratio(releaseSeconds)}  (chunk + hash + copy into models/)`);
  console.log(`bundle export      ${exportSeconds.toFixed(2)} s  ${rate(exportSeconds)}  ratio ${ratio(exportSeconds)}  (target ≥ 0.80)`);
  console.log(`disk durable write ${diskSeconds.toFixed(2)} s  ${rate(diskSeconds)}  ratio ${ratio(diskSeconds)}  (dd conv=fdatasync: the ceiling for import, which syncs what it writes)`);
  console.log(`bundle import      ${importSeconds.toFixed(2)} s  ${rate(importSeconds)}  ratio ${ratio(importSeconds)}  (target ≥ 0.80; verify + stage + assemble) = ${(diskSeconds / importSeconds).toFixed(2)} of the disk's durable write speed`);
  console.log(`peak RSS           ${peakRssMb.toFixed(0)} MB  (target < 200 MB)`);
  const [fullBytes, deltaBytes] = [bytesOnMedium(full.path), bytesOnMedium(delta.path)];
  const envelopeKiB = (fs.statSync(path.join(delta.path, 'envelope.json')).size / 1024).toFixed(0);
  console.log(`re-export after 1% changed in ${places} places of 640 KiB: ${mb(deltaBytes)} MiB of ${mb(fullBytes)} MiB = ${((100 * deltaBytes) / fullBytes).toFixed(2)}% (target ≤ 3%; whole bundle on the medium, envelope ${envelopeKiB} KiB)`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
