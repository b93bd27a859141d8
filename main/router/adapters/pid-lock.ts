import fs from 'node:fs';
import { pidAlive } from '../../platform/process-alive.js';

export type PidLockResult = { acquired: true; release: () => void } | { acquired: false; heldBy: number };

/**
 * A lock file holding the owner's pid, created exclusively. A lock whose pid is
 * no longer alive is stale and taken over; a live owner (this process included)
 * keeps it. `release` removes the file only while it still names this process.
 */
export function acquirePidLock(file: string): PidLockResult {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { acquired: true, release: () => releasePidLock(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(file);
    if (holder !== null && pidAlive(holder)) return { acquired: false, heldBy: holder };
    // Stale (its process died without releasing) or half-written: take it over. The holder is read
    // again right before removing, so a lock another taker has just created is left alone.
    if (lockHolder(file) === holder) fs.rmSync(file, { force: true });
  }
  const holder = lockHolder(file);
  return { acquired: false, heldBy: holder ?? 0 };
}

/** The pid a lock file names, or null when there is none (or it is not a pid). */
export function lockHolder(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function releasePidLock(file: string): void {
  if (lockHolder(file) === process.pid) fs.rmSync(file, { force: true });
}
