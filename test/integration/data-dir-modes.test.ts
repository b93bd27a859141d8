import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSiteService } from '../helpers/browser-mode.js';
import { TestClock, installation, pin, seededBytes } from '../helpers/sync.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

/** Every file under `dataDir` that is not 0600 and every folder that is not 0700, the data dir itself aside. */
function notPrivate(dataDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const mode = fs.lstatSync(full).mode & 0o777;
      const wanted = entry.isDirectory() ? 0o700 : 0o600;
      if (mode !== wanted) found.push(`${path.relative(dataDir, full)} is ${mode.toString(8)}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dataDir);
  return found;
}

test('with umask 022 in a data dir the user made 0755, every file Outpost writes there is 0600 and every folder 0700', async (t) => {
  const umask = process.umask(0o022);
  t.after(() => process.umask(umask));
  const root = tempDir(t, 'outpost-modes-');
  for (const id of ['hq-main', 'site-a']) fs.mkdirSync(path.join(root, id), { mode: 0o755 });
  const clock = new TestClock(Date.now());
  const hq = await installation(t, root, 'hq-main', 'hq', clock);
  const site = await installation(t, root, 'site-a', 'site', clock);
  await pin(site, hq);
  await pin(hq, site);

  // HQ stores a model (models/); the site stages the part of it on the first medium (staging/) and journals it.
  const model = path.join(root, 'model.gguf');
  fs.writeFileSync(model, seededBytes(3 * MiB, 5));
  await hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '1' });
  fs.mkdirSync(path.join(root, 'usb'));
  const bundle = await hq.call('sync.export', { to: path.join(root, 'usb', 'bundle'), maxMediumSize: 2 * MiB });
  assert.equal((await site.call('sync.import', { media: [bundle.mediaPaths[0] as string] })).state, 'incomplete');
  assert.ok(
    fs.readdirSync(path.join(site.dataDir, 'staging', 'files')).some((f) => f.endsWith('.staged')),
    'a partial file and its log are staged',
  );

  // `outpost service run` on the site's data dir starts the router child, which writes router/ (a child inherits the umask).
  process.env.OUTPOST_ROUTER_PORT ??= '0';
  const ui = await startSiteService(t, site.dataDir);
  for (let waited = 0; !fs.existsSync(path.join(site.dataDir, 'router', 'stats.json')); waited += 100) {
    assert.ok(waited < 15_000, 'the router wrote its stats within 15 s');
    await sleep(100);
  }
  const exited = new Promise((resolve) => ui.process.once('exit', resolve));
  ui.process.kill('SIGTERM');
  await exited;

  for (const file of ['outpost.db', 'outpost.db-wal', 'outpost.db-shm', 'keys/id_ed25519.pub', 'logs/outpost.log', 'router/stats.json']) {
    assert.ok(fs.existsSync(path.join(site.dataDir, file)), `${file} was written, so its mode is checked`);
  }
  assert.deepEqual(notPrivate(site.dataDir), [], 'site');
  assert.deepEqual(notPrivate(hq.dataDir), [], 'HQ');
  assert.equal(fs.statSync(site.dataDir).mode & 0o777, 0o755, 'the data dir itself stays as the user made it');
});
