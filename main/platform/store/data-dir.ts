import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';

/** Per-OS convention for application data, overridable by --data-dir or OUTPOST_HOME. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.OUTPOST_HOME) return env.OUTPOST_HOME;
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Outpost');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Outpost');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'outpost');
}

/** The data dir's layout, in one place (see ARCHITECTURE.md). */
export interface DataDirLayout {
  root: string;
  database: string;
  keys: string;
  logs: string;
}

export function layoutOf(root: string): DataDirLayout {
  return {
    root,
    database: path.join(root, 'outpost.db'),
    keys: path.join(root, 'keys'),
    logs: path.join(root, 'logs'),
  };
}

/**
 * Creates the data dir if needed and proves it is a writable directory before
 * anything is written into it, so a bad --data-dir fails with a clear reason.
 */
export function prepareDataDir(requested: string): DataDirLayout {
  const root = path.resolve(requested);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(root);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw storageError(root, error);
  }
  if (stat && !stat.isDirectory()) {
    throw new OutpostError('STORAGE', `the data dir ${root} is a file, not a directory`, 'point --data-dir (or OUTPOST_HOME) at a directory; it is created if missing');
  }
  try {
    if (!stat) makeDirs(root);
    fs.accessSync(root, fs.constants.W_OK | fs.constants.X_OK);
    // access() is advisory for root; a real create proves the directory takes writes.
    const probe = path.join(root, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.rmSync(probe);
  } catch (error) {
    throw storageError(root, error);
  }
  return layoutOf(root);
}

/**
 * mkdir -p, one level at a time: Node's `recursive: true` loops forever on some
 * kernel file systems (e.g. a path under /proc), where this fails at once.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let current = dir;
  while (!fs.existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) fs.mkdirSync(level, { mode: 0o700 });
}

const ERRNO_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'a part of the path cannot be created',
  ENOTDIR: 'a part of the path is a file',
  ENOSPC: 'the disk is full',
};

function storageError(root: string, error: unknown): OutpostError {
  const code = errnoOf(error);
  const why = (code && ERRNO_REASONS[code]) ?? code ?? 'unknown error';
  return new OutpostError('STORAGE', `cannot use the data dir ${root} (${why})`, 'choose a directory you can write with --data-dir or OUTPOST_HOME, or fix its permissions', { cause: error });
}

export function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
