import Database from 'better-sqlite3';
import fs from 'node:fs';
import { OutpostError } from '../../../shared/errors.js';
import { errnoOf } from './data-dir.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the database file and brings its schema up to date.
 * The version check happens before anything that writes — including switching to
 * WAL — so a database from a newer Outpost or a corrupt file is left untouched.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  let db: Db;
  try {
    if (file !== ':memory:') makePrivate(file);
    db = new Database(file, { timeout: 5000 });
  } catch (error) {
    throw corrupt(file, error);
  }
  try {
    const found = readUserVersion(db, file);
    const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    if (found > latest) {
      throw new OutpostError('STORAGE', `the database ${file} has schema version ${found}, newer than this Outpost understands (${latest})`, 'use the newer Outpost that wrote it, or a different --data-dir; nothing was changed');
    }
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    applyMigrations(db, migrations);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof OutpostError) throw error;
    throw corrupt(file, error);
  }
}

/**
 * SQLite creates the database with the process umask (0644 as a rule), and its -wal and -shm files with the
 * database's mode: the file is created (or narrowed) to 0600 before SQLite opens it, so the inventory, the
 * journal and the API-key hashes stay the user's whatever the data dir's mode. Only the mode changes.
 */
function makePrivate(file: string): void {
  fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o600));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(each, 0o600);
    } catch (error) {
      // Absent (no -wal yet), or another user's file: theirs to keep, and SQLite says whether it can be used.
      if (errnoOf(error) !== 'ENOENT' && errnoOf(error) !== 'EPERM') throw error;
    }
  }
}

function readUserVersion(db: Db, file: string): number {
  try {
    // Reading the schema forces SQLite to parse the header and catalog: this is where a corrupt file shows.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    throw corrupt(file, error);
  }
}

/**
 * Each pending migration runs in its own IMMEDIATE transaction that re-reads the
 * version first, so two processes opening one fresh data dir cannot both apply it.
 */
export function applyMigrations(db: Db, migrations: readonly Migration[]): number {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, index) => {
    if (m.version !== index + 1) throw new Error(`migrations must be numbered 1..n without gaps (found ${m.version} at ${index + 1})`);
  });
  for (const migration of ordered) {
    const step = db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    step.immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

function corrupt(file: string, error: unknown): OutpostError {
  const reason = error instanceof Error ? error.message : String(error);
  return new OutpostError('STORAGE', `${file} is not a usable Outpost database (SQLite says: ${reason})`, 'move the file aside and start again, or restore it from a backup; nothing was changed', { cause: error });
}

export { LATEST_SCHEMA_VERSION };
