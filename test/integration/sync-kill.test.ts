import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';
import { hqAndSite, seededBytes, TestClock } from '../helpers/sync.js';

const MiB = 1024 * 1024;

/** The site's store as import changes it (models/ holds only whole files named by their digest, checked apart). */
function storeState(dataDir: string): string {
  const db = new Database(path.join(dataDir, 'outpost.db'), { readonly: true });
  try {
    return ['SELECT kind, key, version, issuer, value_digest FROM sync_records ORDER BY kind, key', 'SELECT issuer, sequence FROM bundles_seen', 'SELECT digest FROM stored_files ORDER BY digest', 'SELECT policy_json FROM router_policy']
      .map((sql) => JSON.stringify(db.prepare(sql).all()))
      .join('\n');
  } finally {
    db.close();
  }
}

/** Starts `outpost bundle import` in its own process and SIGKILLs it once `when` says so (or lets it finish). */
function importKilled(dataDir: string, bundle: string, when: () => boolean, afterMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, 'bundle', 'import', bundle], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    let armed = false;
    const poll = setInterval(() => {
      if (armed || !when()) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), afterMs);
    }, 2);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`import exited with ${code}`));
    });
  });
}

test('kill -9 at seeded points during import: the store is always before or after, never between, and a rerun completes', async (t) => {
  // The CLI in the child runs on the real clock: the bundle must be valid now.
  const { root, hq, site } = await hqAndSite(t, new TestClock(Date.now()));
  const model = path.join(root, 'model.gguf');
  const bytes = seededBytes(48 * MiB, 21);
  fs.writeFileSync(model, bytes);
  await hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '1' });
  await hq.call('sync.releasePolicy', { policy: (await import('../helpers/sync.js')).POLICY });
  const bundle = await hq.call('sync.export', { to: path.join(root, 'bundle') });
  site.core.close();
  const before = storeState(site.dataDir);
  const staging = path.join(site.dataDir, 'staging', 'files');
  const writing = () => fs.existsSync(staging) && fs.readdirSync(staging).length > 0;

  let x = 0x9e3779b9;
  const seeded = (limit: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % limit;
  };
  const states: string[] = [];
  let midStaging = 0;
  // Half the kills land while chunks are being written, the others at any moment from the start.
  for (let round = 0; round < 6; round += 1) {
    const mid = round % 2 === 0;
    const outcome = await importKilled(site.dataDir, bundle.path, mid ? writing : () => true, mid ? seeded(40) : seeded(1500));
    if (outcome === 'killed' && mid) midStaging += 1;
    states.push(storeState(site.dataDir));
    for (const name of fs.existsSync(path.join(site.dataDir, 'models')) ? fs.readdirSync(path.join(site.dataDir, 'models')) : []) {
      const file = path.join(site.dataDir, 'models', name);
      if (!name.startsWith('.')) assert.equal(createHash('sha256').update(fs.readFileSync(file)).digest('hex'), name, 'models/ holds whole files only');
    }
  }
  assert.ok(midStaging >= 1, 'at least one kill landed while chunks were being staged');
  assert.equal(await importKilled(site.dataDir, bundle.path, () => false, 0), 'finished');
  const after = storeState(site.dataDir);
  assert.notEqual(after, before);
  for (const [i, state] of states.entries()) assert.ok(state === before || state === after, `after kill ${i + 1} the store is neither before nor after`);
  const digest = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual(fs.readFileSync(path.join(site.dataDir, 'models', digest)), bytes);
});
