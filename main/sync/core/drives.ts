import { formatBytes } from '../../../shared/units.js';
import { planMedia } from './media-plan.js';

/** One entry of systeminformation's `blockDevices()` (Linux: lsblk), the fields drive detection reads. */
export interface BlockDeviceListing {
  name: string;
  type: string;
  fsType: string;
  mount: string;
  size: number;
  label: string;
  model: string;
  removable: boolean;
  protocol: string;
}

/** One entry of systeminformation's `fsSize()`: the file system mounted at `mount`. */
export interface FsSizeListing {
  fs: string;
  mount: string;
  size: number;
  available: number;
}

export interface MountedDrive {
  device: string;
  label: string;
  mount: string;
  size: number;
  free: number;
  removable: boolean;
  hotplug: boolean;
}

/** Buses a drive is plugged into and pulled out of while the machine runs (lsblk's TRAN). */
const HOTPLUG_PROTOCOLS = new Set(['usb', 'mmc', 'sd', 'ieee1394', 'firewire']);
/** Kernel devices that are never a carried drive: loop images (snaps), RAM disks, network block devices, optical drives. */
const NOT_A_DRIVE = /^(loop|zram|ram|nbd|sr|fd)\d/;
/** A live USB system mounted here is the running system, not somewhere to write a bundle. */
const SYSTEM_MOUNTS = new Set(['/', '/boot', '/boot/efi', '/usr', '/var', '/home', '[SWAP]']);

/**
 * The mounted drives a technician can carry away: removable (RM) or on a
 * hot-plug bus (USB, SD), themselves or through the disk they are a
 * partition of (lsblk names TRAN and often RM only on the disk).
 */
export function removableDrives(devices: readonly BlockDeviceListing[], sizes: readonly FsSizeListing[]): MountedDrive[] {
  const disks = devices.filter((d) => d.type === 'disk');
  const diskOf = (part: BlockDeviceListing) => disks.filter((d) => d.name !== part.name && part.name.startsWith(d.name)).sort((a, b) => b.name.length - a.name.length)[0];
  const drives: MountedDrive[] = [];
  for (const device of devices) {
    if (!device.mount || SYSTEM_MOUNTS.has(device.mount) || NOT_A_DRIVE.test(device.name) || device.type === 'loop' || device.type === 'rom') continue;
    const disk = device.type === 'disk' ? undefined : diskOf(device);
    const removable = device.removable || Boolean(disk?.removable);
    const hotplug = HOTPLUG_PROTOCOLS.has((device.protocol || disk?.protocol || '').toLowerCase());
    if (!removable && !hotplug) continue;
    const fs = sizes.find((s) => s.mount === device.mount);
    drives.push({
      // systeminformation's `device` names a partition's whole disk; the node that is mounted is the partition's own.
      device: `/dev/${device.name}`,
      label: device.label || disk?.model.trim() || device.name,
      mount: device.mount,
      size: fs?.size ?? device.size,
      free: fs?.available ?? 0,
      removable,
      hotplug,
    });
  }
  return drives.sort((a, b) => a.label.localeCompare(b.label) || a.mount.localeCompare(b.mount));
}

export interface FitTarget {
  label: string | null;
  path: string;
  free: number;
}

export type DriveFit = { fits: true; bundleBytes: number; media: string[][]; targets: FitTarget[]; advice: string } | { fits: false; bundleBytes: number; mediaNeeded: number; targets: FitTarget[]; advice: string };

const named = (t: FitTarget) => t.label ?? t.path;

/**
 * Decides, before a byte is written, whether the bundle's chunks and the
 * manifest each medium repeats fit the chosen targets: on one, or split
 * across several (media of the smallest one's free space, in order), and
 * what to do when they do not.
 */
export function fitOnDrives(chunks: ReadonlyArray<readonly [string, number]>, overheadPerMedium: number, targets: readonly FitTarget[], maxMediumSize?: number): DriveFit {
  const payload = chunks.reduce((sum, [, size]) => sum + size, 0);
  const smallest = Math.min(...targets.map((t) => t.free));
  // One target holds every medium side by side; several hold one medium each, so the smallest one bounds a medium.
  const capacity = Math.min(targets.length > 1 ? smallest : Infinity, maxMediumSize ?? Infinity);
  const planned = capacity === Infinity ? [chunks.map(([d]) => d)] : planMedia(chunks, capacity, overheadPerMedium);
  const bundleBytes = payload + overheadPerMedium * (Array.isArray(planned) ? planned.length : 1);
  const onOne = (free: number) => planMedia(chunks, free, overheadPerMedium);
  if (!Array.isArray(planned)) {
    return { fits: false, bundleBytes, mediaNeeded: 1, targets: [...targets], advice: `a medium of ${formatBytes(capacity)} cannot hold this bundle's manifest and largest chunk: use media of at least ${formatBytes(planned.tooSmall)}` };
  }
  if (targets.length === 1) {
    const [target] = targets as [FitTarget];
    if (bundleBytes <= target.free) return { fits: true, bundleBytes, media: planned, targets: [target], advice: `the bundle (${formatBytes(bundleBytes)}) fits on ${named(target)} (${formatBytes(target.free)} free)` };
    const split = onOne(target.free);
    const mediaNeeded = Array.isArray(split) ? split.length : 1;
    const how = Array.isArray(split) ? `split it across ${mediaNeeded} drives of this size, or choose a larger drive` : 'choose a larger drive';
    return { fits: false, bundleBytes, mediaNeeded, targets: [target], advice: `the bundle needs ${formatBytes(bundleBytes)} and ${named(target)} has ${formatBytes(target.free)} free: ${how}` };
  }
  if (planned.length > targets.length) {
    return {
      fits: false,
      bundleBytes,
      mediaNeeded: planned.length,
      targets: [...targets],
      advice: `split across drives of ${formatBytes(smallest)} free, the bundle (${formatBytes(bundleBytes)}) needs ${planned.length} of them and ${targets.length} are chosen: add ${planned.length - targets.length} more`,
    };
  }
  const used = targets.slice(0, planned.length);
  return { fits: true, bundleBytes, media: planned, targets: used, advice: `the bundle (${formatBytes(bundleBytes)}) is split across ${used.length} drive${used.length === 1 ? '' : 's'}: ${used.map(named).join(', ')}` };
}

/** The words that ask for the medium an import still needs, by the label of the drive it was written to when known. */
export function nextMediumPrompt(index: number, count: number, label: string | null): string {
  return label ? `Insert the drive labelled ${label} (medium ${index} of ${count}).` : `Insert the drive holding medium ${index} of ${count}.`;
}
