import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { pidAlive } from '../../main/platform/process-alive.js';
import { readServiceRecord } from '../../main/shell/service/service-record.js';
import { OUTPOST_BIN, REPO_ROOT } from './cli.js';
import { atTestEnd } from './temp.js';
import { until } from './workers.js';

export interface AttachedUi {
  child: ChildProcess;
  /** What `outpost ui --json` prints: the service's URL and port, the data dir, the service's pid. */
  printed: { url: string; port: number; dataDir: string; pid: number };
}

/**
 * `outpost ui` in a process group of its own, as a terminal runs it (`process.kill(-child.pid, 'SIGINT')` is a
 * Ctrl-C there); resolves once it printed its line. `env` is added to the test's, and reaches a service it starts.
 */
export async function outpostUi(t: TestContext, dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<AttachedUi> {
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'ui'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  atTestEnd(t, () => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  let closed = false;
  child.once('close', () => (closed = true));
  // After 'close', so the error carries the whole of what it said.
  const line = await until('outpost ui to print its URL', () => (closed ? Promise.reject(new Error(`outpost ui exited: ${err}`)) : out.split('\n').find((l) => l.startsWith('{'))), 30_000);
  return { child, printed: JSON.parse(line) as AttachedUi['printed'] };
}

/** Stops the data dir's service once the test is over: it runs detached, so nothing else would. */
export function stopServiceAtEnd(t: TestContext, dataDir: string): void {
  atTestEnd(t, () => stopService(dataDir));
}

/** SIGTERM to the service service.json names, and wait until it is gone (its router goes with it). */
export async function stopService(dataDir: string): Promise<void> {
  const pid = readServiceRecord(dataDir)?.pid;
  if (!pid || !pidAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await until('the service to stop', () => !pidAlive(pid), 15_000).catch(() => process.kill(pid, 'SIGKILL'));
}
