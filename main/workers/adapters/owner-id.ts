import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

/**
 * The data dir's lasting owner id (made on first use, 0600): written into every worker's environment, so a
 * later core knows which leftover processes on a host are its own to stop.
 */
export function ownerId(file: string): string {
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16,64}$/.test(id)) return id;
  } catch {
    // not made yet
  }
  const id = randomBytes(12).toString('hex');
  try {
    fs.writeFileSync(file, `${id}\n`, { flag: 'wx', mode: 0o600 });
    return id;
  } catch {
    // Two cores opened the data dir at once, or a damaged file: what is there now wins, else ours is written.
    const there = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16,64}$/.test(there)) return there;
    fs.writeFileSync(file, `${id}\n`, { mode: 0o600 });
    return id;
  }
}
