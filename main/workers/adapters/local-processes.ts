import type { LocalProcesses } from '../core/ports.js';

/** Whether a pid names a running process (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const localProcesses: LocalProcesses = { self: process.pid, alive: processAlive };
