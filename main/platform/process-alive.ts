import fs from 'node:fs';

/**
 * Whether a local process runs. Signal 0 alone says yes for a zombie (killed, not yet reaped by its
 * parent), which would keep a dead holder's lock for as long as its parent waits; /proc says which.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): signal 0 is the answer
  }
}
