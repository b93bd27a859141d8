import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '../../../test/helpers/temp.js';
import { LATEST_SCHEMA_VERSION, applyMigrations, openDatabase } from './database.js';
import { Journal } from './journal.js';

test('a fresh database gets every migration, WAL and foreign keys', (t) => {
  const file = path.join(tempDir(t), 'outpost.db');
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
  for (const table of ['journal', 'site_identity', 'key_history', 'nodes', 'inventory_history', 'bundle_exchanges']) assert.ok(tables.includes(table), table);
});

test('the database and its -wal and -shm are 0600 under umask 022, and a 0644 set an older Outpost left is narrowed when opened', (t) => {
  const umask = process.umask(0o022);
  t.after(() => process.umask(umask));
  const file = path.join(tempDir(t), 'outpost.db');
  const files = [file, `${file}-wal`, `${file}-shm`];
  const modes = () => files.map((f) => (fs.statSync(f).mode & 0o777).toString(8));
  const first = openDatabase(file);
  t.after(() => first.close());
  first.prepare('CREATE TABLE t (x)').run();
  assert.deepEqual(modes(), ['600', '600', '600']);
  for (const f of files) fs.chmodSync(f, 0o644);
  openDatabase(file).close();
  assert.deepEqual(modes(), ['600', '600', '600']);
});

test('reopening applies nothing twice, and a new migration applies on top', (t) => {
  const file = path.join(tempDir(t), 'outpost.db');
  const steps = [
    { version: 1, name: 'a', sql: 'CREATE TABLE a (x)' },
    { version: 2, name: 'b', sql: 'CREATE TABLE b (x)' },
  ];
  openDatabase(file, steps).close();
  // A second open must not re-run CREATE TABLE a (which would throw "table a already exists").
  openDatabase(file, steps).close();
  const upgraded = openDatabase(file, [
    { version: 1, name: 'a', sql: 'CREATE TABLE a (x)' },
    { version: 2, name: 'b', sql: 'CREATE TABLE b (x)' },
    { version: 3, name: 'c', sql: 'CREATE TABLE c (x)' },
    { version: 4, name: 'd', sql: 'CREATE TABLE d (x)' },
  ]);
  t.after(() => upgraded.close());
  assert.equal(upgraded.pragma('user_version', { simple: true }), 4);
  assert.ok(upgraded.prepare("SELECT 1 FROM sqlite_master WHERE name = 'd'").get());
});

test('a failing migration rolls back whole and leaves the version where it was', (t) => {
  const file = path.join(tempDir(t), 'outpost.db');
  const db = new Database(file);
  t.after(() => db.close());
  applyMigrations(db, [{ version: 1, name: 'ok', sql: 'CREATE TABLE one (x)' }]);
  assert.throws(() =>
    applyMigrations(db, [
      { version: 1, name: 'ok', sql: 'CREATE TABLE one (x)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE two (x); INSERT INTO nowhere VALUES (1)' },
    ]),
  );
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'two'").get(), undefined);
});

test('a database from a newer Outpost is refused and left byte for byte as it was', (t) => {
  const file = path.join(tempDir(t), 'outpost.db');
  const newer = new Database(file);
  newer.exec('CREATE TABLE future (x); INSERT INTO future VALUES (42)');
  newer.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
  newer.close();
  const before = fs.readFileSync(file);
  assert.throws(() => openDatabase(file), {
    code: 'STORAGE',
    message: new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 5}, newer than this Outpost understands \\(${LATEST_SCHEMA_VERSION}\\)`),
  });
  assert.deepEqual(fs.readFileSync(file), before);
  assert.equal(fs.existsSync(`${file}-wal`), false);
});

test("a corrupt file is refused with SQLite's reason and not modified", (t) => {
  const file = path.join(tempDir(t), 'outpost.db');
  const garbage = Buffer.from('this is not a database, it is a shopping list\n'.repeat(200));
  fs.writeFileSync(file, garbage);
  assert.throws(() => openDatabase(file), { code: 'STORAGE', message: /is not a usable Outpost database \(SQLite says: file is not a database\)/ });
  assert.deepEqual(fs.readFileSync(file), garbage);
});

test('two processes migrating one fresh file at once both succeed with one schema', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'outpost.db');
  const moduleUrl = new URL('./database.js', import.meta.url).href;
  const script = `import { openDatabase } from ${JSON.stringify(moduleUrl)}; openDatabase(${JSON.stringify(file)}).close();`;
  const run = () =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      child.on('close', resolve);
    });
  assert.deepEqual(await Promise.all([run(), run(), run()]), [0, 0, 0]);
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
});

test('the journal records who did what with what result, newest first', (t) => {
  const db = openDatabase(path.join(tempDir(t), 'outpost.db'));
  t.after(() => db.close());
  let clock = Date.parse('2026-11-25T10:00:00Z');
  const journal = new Journal(db, () => new Date((clock += 1000)));
  journal.record({ actor: 'cli', user: 'tech', action: 'identity.init', input: { role: 'site' }, outcome: 'ok' });
  journal.record({ actor: 'ui', user: 'tech', action: 'identity.init', input: {}, outcome: 'error', errorCode: 'CONFLICT', detail: 'exists' });
  const [latest, first] = journal.recent(10);
  assert.equal(latest?.outcome, 'error');
  assert.equal(latest?.errorCode, 'CONFLICT');
  assert.deepEqual(first?.input, { role: 'site' });
  assert.equal(first?.at, '2026-11-25T10:00:01.000Z');
  assert.equal(journal.count(), 2);
});
