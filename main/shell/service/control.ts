import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutpostError } from '../../../shared/errors.js';
import { supervisorLock } from '../../workers/index.js';
import { pidAlive } from '../../platform/process-alive.js';
import { readServiceRecord, type ServiceRecord } from './service-record.js';
import { installedUnit, systemctl, type InstalledUnit } from './systemd.js';
import { unitName } from './systemd-unit.js';

export interface ServiceStatus {
  dataDir: string;
  running: boolean;
  /** The process that holds the data dir (its supervisor lock), when one does. */
  pid: number | null;
  /** False when the holder is not the recorded service: an `outpost ui` of an older Outpost, say. */
  isService: boolean;
  managedBy: ServiceRecord['managedBy'] | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  port: number | null;
  appVersion: string | null;
  unit: { name: string; installed: boolean; path: string | null; scope: InstalledUnit['scope'] | null; editedByHand: boolean | null };
}

/** What runs for the data dir, read without opening it: the lock's holder, service.json and the unit file. */
export function serviceStatus(dataDir: string, env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): ServiceStatus {
  const root = path.resolve(dataDir);
  const holder = supervisorLock(root).holder();
  const record = readServiceRecord(root);
  const current = holder !== null && record?.pid === holder ? record : null;
  const unit = installedUnit(root, env);
  return {
    dataDir: root,
    running: holder !== null,
    pid: holder,
    isService: current !== null,
    managedBy: current?.managedBy ?? null,
    startedAt: current?.startedAt ?? null,
    uptimeSeconds: current ? Math.max(0, Math.round((now.getTime() - Date.parse(current.startedAt)) / 1000)) : null,
    port: current?.port ?? null,
    appVersion: current?.appVersion ?? null,
    unit: { name: unitName(root), installed: unit !== null, path: unit?.path ?? null, scope: unit?.scope ?? null, editedByHand: unit ? !unit.ours : null },
  };
}

export interface StopResult {
  /** The service's pid, or null when none ran. */
  pid: number | null;
  how: 'systemctl' | 'SIGTERM' | 'not-running';
}

/**
 * Stops the data dir's service and waits until its process is gone (up to `timeoutMs`): through systemd when a
 * unit runs it (else systemd would count a kill as a failure to restart from), by SIGTERM otherwise. Only the
 * recorded service that holds the lock is signalled: a pid in a stale file may be someone else's process now.
 */
export async function stopService(dataDir: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<StopResult> {
  const status = serviceStatus(dataDir, options.env);
  if (status.pid === null) return { pid: null, how: 'not-running' };
  const pid = status.pid;
  if (!status.isService) {
    throw new OutpostError('CONFLICT', `pid ${pid} holds this data dir but is not its service (an \`outpost ui\` or an older core)`, `stop it where it runs (Ctrl-C), or \`kill ${pid}\``);
  }
  let how: StopResult['how'] = 'SIGTERM';
  const unit = status.managedBy === 'systemd' ? installedUnit(status.dataDir, options.env) : null;
  if (unit && systemctl(unit.scope, ['stop', unit.name]).ok) how = 'systemctl';
  else signal(pid);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (!exited(pid)) {
    if (Date.now() > deadline) {
      throw new OutpostError(
        'UNAVAILABLE',
        `the service (pid ${pid}) did not stop within ${Math.round((options.timeoutMs ?? 15_000) / 1000)} s`,
        `see \`outpost service logs\`; \`kill -9 ${pid}\` stops it outright (its workers keep running and are adopted by the next service)`,
      );
    }
    await sleep(100);
  }
  return { pid, how };
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return;
    if (code === 'EPERM') throw new OutpostError('FORBIDDEN', `the service (pid ${pid}) runs as another user`, 'stop it as that user, or as root');
    throw error;
  }
}

/** Gone, or a zombie its parent has yet to reap (a window that started it detached may be that parent). */
function exited(pid: number): boolean {
  if (!pidAlive(pid)) return true;
  try {
    return /^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
