import fs from 'node:fs';
import path from 'node:path';
import si from 'systeminformation';
import type { DriveBundle } from '../../../shared/domain/drives.js';
import { MediumDescriptorSchema } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { BlockDeviceListing, FsSizeListing } from '../core/drives.js';
import { readSmallFile } from './bundle-media.js';
import { INCOMPLETE_MARKER, MEDIUM_FILE, realDirectory } from './bundle-writer.js';

/** Block devices and mounted file systems, in systeminformation's shapes. */
export interface DriveSource {
  blockDevices(): Promise<BlockDeviceListing[]>;
  fsSize(): Promise<FsSizeListing[]>;
}

/** This machine's drives: `lsblk` and `df` through systeminformation. */
export const systemDrives: DriveSource = {
  blockDevices: () => si.blockDevices(),
  fsSize: () => si.fsSize(),
};

/**
 * A listing file `{ "blockDevices": [...], "fsSize": [...] }` in
 * systeminformation's shapes, read again at every call: where no removable
 * block device can be made (CI, the field test), a directory named as a
 * mount point in it stands for a plugged-in drive, and rewriting the file
 * plugs one in or pulls one out. `OUTPOST_DRIVES_LISTING` names it.
 */
export function listingFileDrives(file: string): DriveSource {
  const read = (): { blockDevices?: BlockDeviceListing[]; fsSize?: FsSizeListing[] } => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as { blockDevices?: BlockDeviceListing[]; fsSize?: FsSizeListing[] };
    } catch {
      throw new OutpostError('STORAGE', `the drive listing ${file} (OUTPOST_DRIVES_LISTING) cannot be read as JSON`, 'fix or remove the file, or unset OUTPOST_DRIVES_LISTING to list the real drives');
    }
  };
  return { blockDevices: async () => read().blockDevices ?? [], fsSize: async () => read().fsSize ?? [] };
}

/** At most this many top-level folders of a drive are looked into for bundles. */
const SCAN_LIMIT = 200;

/** The bundles at the top level of a drive: each one's media (from medium.json alone, cheap enough to poll) and unfinished exports. */
export function bundlesOn(mount: string): DriveBundle[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(mount, { withFileTypes: true }).filter((e) => e.isDirectory());
  } catch {
    return [];
  }
  const found: DriveBundle[] = [];
  for (const entry of entries.slice(0, SCAN_LIMIT)) {
    const dir = path.join(mount, entry.name);
    if (fs.existsSync(path.join(dir, INCOMPLETE_MARKER))) {
      found.push({ path: dir, manifestDigest: null, medium: null, count: null, incomplete: true });
      continue;
    }
    for (const medium of mediumDirs(dir)) {
      try {
        const descriptor = MediumDescriptorSchema.parse(JSON.parse(readSmallFile(path.join(medium, MEDIUM_FILE), 64 * 1024).toString('utf8')));
        found.push({ path: medium, manifestDigest: descriptor.manifestDigest, medium: descriptor.index, count: descriptor.count, incomplete: false });
      } catch {
        // Not a bundle, or a damaged one: the import says what is wrong when it is chosen.
      }
    }
  }
  return found;
}

function mediumDirs(dir: string): string[] {
  if (fs.existsSync(path.join(dir, MEDIUM_FILE))) return [dir];
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => /^medium-\d+$/.test(name))
      .map((name) => path.join(dir, name))
      .filter(realDirectory);
  } catch {
    return [];
  }
}
