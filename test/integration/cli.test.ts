import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../../main/platform/store/index.js';
import { runOutpost, type CliResult } from '../helpers/cli.js';
import { snapshot, tempDir } from '../helpers/temp.js';

/** The one-line error form: `outpost: <what was wrong> — <what to do>`, and no stack trace. */
function assertOneLineError(result: CliResult, code: number, what: RegExp) {
  assert.equal(result.code, code, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', /^outpost: .+ — .+/);
  assert.match(lines[0] ?? '', what);
}

test('keys init, show --json and local --json work on a fresh data dir', async (t) => {
  const dataDir = path.join(tempDir(t), 'fresh', 'nested');
  const init = await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--json']);
  assert.equal(init.code, 0, init.stderr);
  const shown = JSON.parse((await runOutpost(['--data-dir', dataDir, 'keys', 'show', '--json'])).stdout) as { siteId: string; sshKey: { fingerprint: string } };
  assert.deepEqual(shown, JSON.parse(init.stdout));
  const human = await runOutpost(['--data-dir', dataDir, 'keys', 'show']);
  assert.match(human.stdout, /SSH key\s+ed25519 SHA256:/);
  assert.doesNotMatch(human.stdout + init.stdout, /PRIVATE KEY/, 'private keys are never printed');

  const local = await runOutpost(['--data-dir', dataDir, 'local', '--json']);
  assert.equal(local.code, 0, local.stderr);
  const inventory = JSON.parse(local.stdout) as { cpu: { logicalCores: number }; memory: { totalBytes: number } };
  assert.ok(inventory.cpu.logicalCores >= 1);
  assert.ok(inventory.memory.totalBytes > 0);
  const db = new Database(path.join(dataDir, 'outpost.db'), { readonly: true });
  t.after(() => db.close());
  const row = db.prepare("SELECT kind, inventory_json FROM nodes WHERE name = 'workstation'").get() as { kind: string; inventory_json: string };
  assert.equal(row.kind, 'workstation');
  assert.deepEqual(JSON.parse(row.inventory_json), inventory);
  // `OUTPOST_HOME` is the same thing as --data-dir.
  const viaEnv = await runOutpost(['keys', 'show', '--json'], { env: { OUTPOST_HOME: dataDir } });
  assert.equal((JSON.parse(viaEnv.stdout) as { siteId: string }).siteId, shown.siteId);
});

test('help lists every command of PRODUCT.md', async () => {
  const help = await runOutpost(['--help']);
  assert.equal(help.code, 0);
  for (const command of ['local', 'keys', 'discover', 'nodes', 'hostkey', 'plan', 'launch', 'workers', 'stop', 'router', 'bundle', 'trust', 'health', 'ui', 'service']) {
    assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  }
});

test('unknown flags and commands are usage errors (exit 2) with one line', async () => {
  assertOneLineError(await runOutpost(['keys', 'init', '--colour', 'blue']), 2, /unknown option '--colour'/);
  assertOneLineError(await runOutpost(['frobnicate']), 2, /unknown command 'frobnicate'/);
  assertOneLineError(await runOutpost(['keys', 'rotate', '--key', 'gpg']), 2, /argument 'gpg' is invalid/);
  assertOneLineError(await runOutpost(['ui', '--port', 'eighty']), 2, /option '--port <port>' argument 'eighty' is invalid. expected a whole number from 0 to 65535/);
});

test('a --data-dir that is a file is refused and the file is untouched', async (t) => {
  const file = path.join(tempDir(t), 'not-a-dir');
  fs.writeFileSync(file, 'precious');
  assertOneLineError(await runOutpost(['--data-dir', file, 'keys', 'init']), 1, /the data dir .*not-a-dir is a file, not a directory/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'precious');
});

test('an unwritable --data-dir is refused with the reason', async (t) => {
  // Root ignores file modes, so as root use a directory no one can write: sysfs.
  if (process.getuid?.() === 0) {
    assertOneLineError(await runOutpost(['--data-dir', '/sys/kernel', 'keys', 'init']), 1, /cannot use the data dir \/sys\/kernel \(permission denied\)/);
  } else {
    const dir = tempDir(t);
    fs.chmodSync(dir, 0o500);
    t.after(() => fs.chmodSync(dir, 0o700));
    assertOneLineError(await runOutpost(['--data-dir', dir, 'keys', 'init']), 1, /permission denied/);
  }
  assertOneLineError(await runOutpost(['--data-dir', '/proc/self/no/such/dir', 'status']), 1, /a part of the path cannot be created/);
});

test('a database of a newer schema is refused and left as it was', async (t) => {
  const dataDir = tempDir(t);
  const db = new Database(path.join(dataDir, 'outpost.db'));
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  const before = snapshot(dataDir);
  assertOneLineError(await runOutpost(['--data-dir', dataDir, 'keys', 'init']), 1, /newer than this Outpost understands/);
  const after = snapshot(dataDir);
  after.delete('logs/outpost.log');
  assert.deepEqual(after, before);
});

test('a corrupt database file is refused and left as it was', async (t) => {
  const dataDir = tempDir(t);
  fs.writeFileSync(path.join(dataDir, 'outpost.db'), Buffer.alloc(8192, 0xab));
  const before = snapshot(dataDir);
  assertOneLineError(await runOutpost(['--data-dir', dataDir, 'status']), 1, /is not a usable Outpost database \(SQLite says: file is not a database\)/);
  assert.deepEqual(snapshot(dataDir), before);
});

test('keys init on an existing identity is refused; keys and identity unchanged', async (t) => {
  const dataDir = tempDir(t);
  assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'plant-7'])).code, 0);
  const keysBefore = snapshot(path.join(dataDir, 'keys'));
  assertOneLineError(await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'plant-8']), 1, /site plant-7 already has an identity; nothing was overwritten — .*--force/);
  assert.deepEqual(snapshot(path.join(dataDir, 'keys')), keysBefore);
  const shown = JSON.parse((await runOutpost(['--data-dir', dataDir, 'keys', 'show', '--json'])).stdout) as { siteId: string };
  assert.equal(shown.siteId, 'plant-7');
});

test('--json errors are machine-readable on stdout too', async (t) => {
  const dataDir = tempDir(t);
  const result = await runOutpost(['--data-dir', dataDir, 'keys', 'show', '--json']);
  assert.equal(result.code, 1);
  assert.deepEqual(JSON.parse(result.stdout), {
    ok: false,
    error: { code: 'PRECONDITION', message: 'this data dir has no site identity yet', hint: 'run `outpost keys init` first' },
  });
});
