import fs from 'node:fs';
import path from 'node:path';
import si from 'systeminformation';
import type { DriveBundle } from '../../../shared/domain/drives.js';
import { LIMITS, MediumDescriptorSchema } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { BlockDeviceListing, FsSizeListing } from '../core/drives.js';
import { readSmallFile } from './bundle-media.js';
import { ENVELOPE_FILE, INCOMPLETE_MARKER, MEDIUM_FILE, realDirectory } from './bundle-writer.js';

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

interface ManifestHead {
  issuer: string | null;
  recipient: string | null;
  sequence: number | null;
}

/** The drives are polled every few seconds: a manifest is read once per envelope file as it is (path, size, time). */
const heads = new Map<string, { stamp: string; head: ManifestHead }>();
const HEADS_KEPT = 256;

/** Issuer, recipient and sequence from the envelope's payload, unverified (the import verifies); nulls when unreadable. */
function manifestHead(mediumDir: string): ManifestHead {
  const file = path.join(mediumDir, ENVELOPE_FILE);
  const unknown = { issuer: null, recipient: null, sequence: null };
  try {
    const stat = fs.statSync(file);
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    const cached = heads.get(file);
    if (cached?.stamp === stamp) return cached.head;
    const envelope = JSON.parse(readSmallFile(file, LIMITS.envelopeBytes).toString('utf8')) as { payload?: unknown };
    const manifest = JSON.parse(Buffer.from(String(envelope.payload), 'base64').toString('utf8')) as { issuer?: { siteId?: unknown }; recipient?: unknown; sequence?: unknown };
    const head = {
      issuer: typeof manifest.issuer?.siteId === 'string' ? manifest.issuer.siteId : null,
      recipient: typeof manifest.recipient === 'string' ? manifest.recipient : null,
      sequence: Number.isInteger(manifest.sequence) ? (manifest.sequence as number) : null,
    };
    if (heads.size >= HEADS_KEPT) heads.clear();
    heads.set(file, { stamp, head });
    return head;
  } catch {
    return unknown;
  }
}

/** The bundles at the top level of a drive: each one's media and who wrote them, and unfinished exports. */
export function bundlesOn(mount: string, me: string | null): DriveBundle[] {
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
      found.push({ path: dir, manifestDigest: null, issuer: null, recipient: null, sequence: null, fromHere: false, medium: null, count: null, incomplete: true });
      continue;
    }
    for (const medium of mediumDirs(dir)) {
      try {
        const descriptor = MediumDescriptorSchema.parse(JSON.parse(readSmallFile(path.join(medium, MEDIUM_FILE), 64 * 1024).toString('utf8')));
        const head = manifestHead(medium);
        found.push({ path: medium, manifestDigest: descriptor.manifestDigest, ...head, fromHere: head.issuer !== null && head.issuer === me, medium: descriptor.index, count: descriptor.count, incomplete: false });
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
