import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readServiceRecord } from './service-record.js';
import { installedUnit, systemdRunning } from './systemd.js';

export interface LogsOptions {
  dataDir: string;
  lines: number;
  follow: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Ends `--follow` (Ctrl-C). */
  stop: Promise<void>;
  env?: NodeJS.ProcessEnv;
}

/**
 * `outpost service logs`: the journal of the unit when systemd runs the service (what it printed, its restarts),
 * else the tail of the log the core writes in the data dir (logs/outpost.log, one JSON object a line).
 */
export async function serviceLogs(options: LogsOptions): Promise<'journal' | 'file'> {
  const unit = installedUnit(options.dataDir, options.env);
  const underSystemd = readServiceRecord(options.dataDir)?.managedBy === 'systemd' || (unit !== null && systemdRunning());
  if (unit && underSystemd && (await journal(unit.name, unit.scope, options))) return 'journal';
  await tailFile(path.join(path.resolve(options.dataDir), 'logs', 'outpost.log'), options);
  return 'file';
}

/** False when journalctl is not installed (the caller falls back to the file). */
function journal(unit: string, scope: 'user' | 'system', options: LogsOptions): Promise<boolean> {
  const args = [...(scope === 'user' ? ['--user'] : []), '-u', unit, '-n', String(options.lines), '--no-pager', ...(options.follow ? ['-f'] : [])];
  return new Promise((resolve) => {
    const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(options.out, { end: false });
    child.stderr.pipe(options.err, { end: false });
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(true));
    void options.stop.then(() => child.kill('SIGTERM'));
  });
}

const TAIL_WINDOW_BYTES = 4 * 1024 * 1024;

async function tailFile(file: string, options: LogsOptions): Promise<void> {
  let offset = 0;
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const lines = readFrom(file, start, size).split('\n');
    // A window that starts mid-file starts mid-line: that first piece is dropped.
    const whole = (start > 0 ? lines.slice(1) : lines).filter((line) => line !== '');
    const last = whole.slice(-options.lines);
    if (last.length) options.out.write(`${last.join('\n')}\n`);
    offset = size;
  } catch {
    options.err.write(`no log yet at ${file}\n`);
  }
  if (!options.follow) return;
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  let partial = '';
  while (!stopped) {
    await Promise.race([sleep(500), options.stop]);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      continue;
    }
    // Shorter than what was read: the file was replaced or truncated, so it is read again from its start.
    if (size < offset) [offset, partial] = [0, ''];
    if (size === offset) continue;
    const text = partial + readFrom(file, offset, size);
    offset = size;
    const cut = text.lastIndexOf('\n') + 1;
    if (cut > 0) options.out.write(text.slice(0, cut));
    partial = text.slice(cut);
  }
}

function readFrom(file: string, start: number, end: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const read = fs.readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
