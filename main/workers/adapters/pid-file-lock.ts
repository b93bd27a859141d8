import fs from 'node:fs';
import path from 'node:path';
import type { Lock } from '../core/ports.js';
import { pidAlive } from '../../platform/process-alive.js';

/** A lock file holding its owner's pid; one left by a process that is gone is taken over. */
export class PidFileLock implements Lock {
  constructor(private readonly file: string) {}

  acquire(): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.file, String(process.pid), { flag: 'wx', mode: 0o600 });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
        const holder = Number(fs.readFileSync(this.file, 'utf8'));
        if (holder && holder !== process.pid && pidAlive(holder)) return false;
        fs.rmSync(this.file, { force: true });
      }
    }
    return false;
  }

  /** The live process that holds the lock (this one included), or null when none does. */
  holder(): number | null {
    try {
      const pid = Number(fs.readFileSync(this.file, 'utf8'));
      return Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  /** Removes the file only while it names this process. */
  release(): void {
    try {
      if (Number(fs.readFileSync(this.file, 'utf8')) === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // no lock to release
    }
  }
}

/** The data dir's one-supervisor lock: whoever holds it is the data dir's long-lived core (its site service). */
export const supervisorLock = (dataDir: string): PidFileLock => new PidFileLock(path.join(dataDir, 'workers-supervisor.lock'));
