import type { WorkstationInventory } from '../../../shared/domain/workstation.js';

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

export function toWorkstationInventory(facts: LocalFacts, warnings: string[], collectedAt: Date): WorkstationInventory {
  const unknown = (value: string | undefined) => (value && value.trim() ? value.trim() : 'unknown');
  const count = (value: number | undefined) => (Number.isFinite(value) && (value ?? 0) > 0 ? Math.round(value ?? 0) : 0);
  return {
    hostname: unknown(facts.os?.hostname),
    os: {
      platform: unknown(facts.os?.platform),
      distro: unknown(facts.os?.distro),
      release: unknown(facts.os?.release),
      kernel: unknown(facts.os?.kernel),
      arch: unknown(facts.os?.arch),
    },
    cpu: {
      manufacturer: unknown(facts.cpu?.manufacturer),
      brand: unknown(facts.cpu?.brand),
      logicalCores: count(facts.cpu?.cores),
      physicalCores: count(facts.cpu?.physicalCores),
      speedGHz: facts.cpu?.speed && facts.cpu.speed > 0 ? facts.cpu.speed : null,
    },
    memory: { totalBytes: count(facts.mem?.total), availableBytes: count(facts.mem?.available) },
    disks: (facts.disks ?? [])
      .filter((d) => d.mount && !PSEUDO_FS.has((d.type ?? '').toLowerCase()) && (d.size ?? 0) > 0)
      .map((d) => ({
        mount: d.mount ?? '',
        filesystem: unknown(d.fs),
        type: unknown(d.type),
        sizeBytes: count(d.size),
        usedBytes: count(d.used),
      })),
    gpus: (facts.gpus ?? []).map((g) => ({
      vendor: unknown(g.vendor),
      model: unknown(g.model),
      vramMiB: typeof g.vram === 'number' && g.vram > 0 ? g.vram : null,
      driverVersion: g.driverVersion && g.driverVersion.trim() ? g.driverVersion.trim() : null,
    })),
    collectedAt: collectedAt.toISOString(),
    warnings,
  };
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
