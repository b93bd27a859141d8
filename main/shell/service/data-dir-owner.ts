import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';

export interface DataDirOwner {
  uid: number;
  gid: number;
  /** The login name, or null when the system has none for the uid. */
  name: string | null;
}

/** Who owns the data dir, or the nearest folder above it that exists (where the data dir will be made). */
export function dataDirOwner(dataDir: string): DataDirOwner {
  let current = path.resolve(dataDir);
  for (;;) {
    try {
      const stat = fs.statSync(current);
      return { uid: stat.uid, gid: stat.gid, name: userName(stat.uid) };
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return { uid: 0, gid: 0, name: 'root' };
      current = parent;
    }
  }
}

/** The login name of a uid through the system's user database (NSS: /etc/passwd, LDAP…), or null. */
export function userName(uid: number): string | null {
  try {
    const entry = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return entry.split(':')[0] || null;
  } catch {
    return null;
  }
}

/**
 * A service run as root on a data dir another user owns would leave root-owned files there (the database, its
 * WAL, logs, keys) that lock the owner out of their own site; refused before anything is written.
 */
export function refuseRootOnForeignDataDir(dataDir: string, uid = process.getuid?.()): void {
  if (uid !== 0) return;
  let ownerUid: number;
  try {
    ownerUid = fs.statSync(dataDir).uid;
  } catch {
    return; // not made yet: root makes it, and owns it
  }
  if (ownerUid === 0) return;
  const name = userName(ownerUid);
  const who = name ?? `uid ${ownerUid}`;
  const sudoUser = name ?? `#${ownerUid}`;
  throw new OutpostError(
    'FORBIDDEN',
    `refusing to run the service as root on the data dir ${dataDir}, which ${who} owns: files written as root there would lock ${who} out`,
    `run it as that user (\`sudo -u ${sudoUser} outpost --data-dir ${dataDir} service run\`), or install it with \`outpost --data-dir ${dataDir} service install --system\`, whose unit runs as the data dir's owner`,
  );
}
