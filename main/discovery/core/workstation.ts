import { INVENTORY_BOUNDS, type PhysicalBound } from '../../../shared/domain/discovery.js';
import type { WorkstationInventory } from '../../../shared/domain/workstation.js';
import { InventoryChecks } from './inventory-checks.js';

/** The subset of systeminformation's answers we read, so the mapping stays pure and testable. */
export interface LocalFacts {
  os?: { hostname?: string; platform?: string; distro?: string; release?: string; kernel?: string; arch?: string } | undefined;
  cpu?: { manufacturer?: string; brand?: string; cores?: number; physicalCores?: number; speed?: number } | undefined;
  mem?: { total?: number; available?: number } | undefined;
  disks?: Array<{ fs?: string; type?: string; size?: number; used?: number; mount?: string }> | undefined;
  gpus?: Array<{ vendor?: string; model?: string; vram?: number | null; driverVersion?: string }> | undefined;
}

/** Pseudo file systems that are not places a model file or a bundle could go. */
const PSEUDO_FS = new Set(['overlay', 'tmpfs', 'devtmpfs', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'shm']);

/** The same checks as a remote host's answers: 0 is this schema's "unknown", for a figure that is absent or out of bounds. */
export function toWorkstationInventory(facts: LocalFacts, warnings: string[], collectedAt: Date): WorkstationInventory {
  const checks = new InventoryChecks();
  const unknown = (field: string, value: string | undefined) => checks.name(field, value) ?? 'unknown';
  const bounded = (field: string, value: number | undefined, bound: PhysicalBound = INVENTORY_BOUNDS.sizeBytes) => (typeof value === 'number' && value > 0 ? Math.round(checks.figure(field, String(value), bound) ?? 0) : 0);
  const count = (value: number | undefined) => bounded('CPU count', value, INVENTORY_BOUNDS.cpuCores);
  const inventory: Omit<WorkstationInventory, 'warnings'> = {
    hostname: unknown('hostname', facts.os?.hostname),
    os: {
      platform: unknown('platform', facts.os?.platform),
      distro: unknown('distro', facts.os?.distro),
      release: unknown('release', facts.os?.release),
      kernel: unknown('kernel', facts.os?.kernel),
      arch: unknown('arch', facts.os?.arch),
    },
    cpu: {
      manufacturer: unknown('CPU manufacturer', facts.cpu?.manufacturer),
      brand: unknown('CPU brand', facts.cpu?.brand),
      logicalCores: count(facts.cpu?.cores),
      physicalCores: count(facts.cpu?.physicalCores),
      speedGHz: facts.cpu?.speed && facts.cpu.speed > 0 ? facts.cpu.speed : null,
    },
    memory: { totalBytes: bounded('memory total', facts.mem?.total, INVENTORY_BOUNDS.hostMemoryBytes), availableBytes: bounded('memory available', facts.mem?.available, INVENTORY_BOUNDS.hostMemoryBytes) },
    disks: (facts.disks ?? [])
      .filter((d) => d.mount && !PSEUDO_FS.has((d.type ?? '').toLowerCase()) && (d.size ?? 0) > 0)
      .map((d) => ({
        mount: d.mount ?? '',
        filesystem: unknown(`disk ${d.mount} file system`, d.fs),
        type: unknown(`disk ${d.mount} type`, d.type),
        sizeBytes: bounded(`disk ${d.mount} size`, d.size),
        usedBytes: bounded(`disk ${d.mount} used`, d.used),
      })),
    gpus: (facts.gpus ?? []).map((g) => ({
      vendor: unknown('GPU vendor', g.vendor),
      model: unknown('GPU model', g.model),
      vramMiB: typeof g.vram === 'number' && g.vram > 0 ? checks.figure('GPU memory', String(g.vram), INVENTORY_BOUNDS.gpuMemoryMiB) : null,
      driverVersion: checks.name('GPU driver version', g.driverVersion),
    })),
    collectedAt: collectedAt.toISOString(),
  };
  return { ...inventory, warnings: [...warnings, ...checks.warnings] };
}

/**
 * The part of an inventory that describes the hardware rather than the moment:
 * free memory and disk use change on every read and are not "a change of the
 * workstation", so they do not start a new history entry.
 */
export function hardwareSignature(inventory: WorkstationInventory): string {
  return JSON.stringify({
    hostname: inventory.hostname,
    os: inventory.os,
    cpu: inventory.cpu,
    memory: inventory.memory.totalBytes,
    disks: inventory.disks.map((d) => [d.mount, d.filesystem, d.type, d.sizeBytes]),
    gpus: inventory.gpus,
  });
}
