import { INVENTORY_BOUNDS, type NodeGpu, type PhysicalBound } from '../../../shared/domain/discovery.js';
import type { InventoryChecks } from './inventory-checks.js';

/** The probe's query, in this order: index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,pci.bus_id,driver_version. */
const QUERY_FIELDS = 10;

export interface NvidiaReading {
  status: 'ok' | 'none' | 'driver-error';
  error: string | null;
  gpus: NodeGpu[];
}

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[Function Not Found]`…: nvidia-smi's "no value". */
const isUnavailable = (value: string): boolean => /^\[.*\]$/.test(value) || value === 'N/A' || value === '';

function text(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return isUnavailable(v) ? null : v;
}

/** `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)` then indented `MIG 1g.10gb     Device  0: (UUID: MIG-…)` lines. */
export function parseNvidiaList(output: string): Map<number, Array<{ profile: string; uuid: string }>> {
  const byGpu = new Map<number, Array<{ profile: string; uuid: string }>>();
  let current: number | null = null;
  for (const line of output.split('\n')) {
    const gpu = /^GPU (\d+):/.exec(line);
    if (gpu) {
      current = Number(gpu[1]);
      byGpu.set(current, []);
      continue;
    }
    const mig = /^\s+MIG\s+(\S+)\s+Device\s+\d+:\s+\(UUID:\s*(MIG-[^)\s]+)\)?/.exec(line);
    if (mig && current !== null) byGpu.get(current)?.push({ profile: mig[1] ?? '', uuid: mig[2] ?? '' });
  }
  return byGpu;
}

/**
 * Reads `--format=csv,noheader,nounits` of the probe's query. A non-zero exit
 * is a driver problem and its text is kept as the reason; "No devices were
 * found" is a host without GPUs, not an error.
 */
export function parseNvidiaQuery(output: string | null, exitStatus: number | 'absent' | 'missing', listOutput: string | null, checks: InventoryChecks): NvidiaReading {
  if (output === null || exitStatus === 'absent' || exitStatus === 'missing') return { status: 'none', error: null, gpus: [] };
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (exitStatus !== 0) {
    if (lines.some((l) => /^No devices were found/i.test(l))) return { status: 'none', error: null, gpus: [] };
    const reason = checks.name('nvidia-smi error', lines.join(' ').slice(0, 300)) ?? `nvidia-smi exited with status ${exitStatus} and said nothing`;
    return { status: 'driver-error', error: reason, gpus: [] };
  }
  const mig = listOutput ? parseNvidiaList(listOutput) : new Map<number, Array<{ profile: string; uuid: string }>>();
  const gpus: NodeGpu[] = [];
  let notRecords = 0;
  for (const line of lines) {
    const f = line.split(/,\s*/);
    const index = /^\d{1,4}$/.test(f[0]?.trim() ?? '') ? Number(f[0]) : null;
    const name = checks.name(`GPU ${index ?? '?'} name`, text(f[1]));
    if (f.length !== QUERY_FIELDS || index === null || name === null) {
      checks.warnings.push(`nvidia-smi printed a line that is not a GPU record: ${JSON.stringify(line.slice(0, 80))}`);
      notRecords++;
      continue;
    }
    const figure = (field: string, value: string | undefined, bound: PhysicalBound): number | null => checks.figure(`GPU ${index} ${field}`, text(value), bound);
    gpus.push({
      index,
      name,
      uuid: checks.name(`GPU ${index} uuid`, text(f[2])),
      memoryTotalMiB: figure('memory.total', f[3], INVENTORY_BOUNDS.gpuMemoryMiB),
      memoryUsedMiB: figure('memory.used', f[4], INVENTORY_BOUNDS.gpuMemoryMiB),
      utilizationPct: figure('utilization.gpu', f[5], INVENTORY_BOUNDS.utilizationPct),
      temperatureC: figure('temperature.gpu', f[6], INVENTORY_BOUNDS.temperatureC),
      powerW: figure('power.draw', f[7], INVENTORY_BOUNDS.powerW),
      pciBusId: checks.name(`GPU ${index} pci.bus_id`, text(f[8])),
      driverVersion: checks.name(`GPU ${index} driver_version`, text(f[9])),
      migDevices: (mig.get(index) ?? []).map((m) => ({ profile: checks.name(`GPU ${index} MIG profile`, m.profile) ?? '?', uuid: checks.name(`GPU ${index} MIG uuid`, m.uuid) ?? '?' })),
      unifiedMemory: false,
    });
  }
  if (gpus.length === 0 && notRecords > 0) {
    return { status: 'driver-error', error: `nvidia-smi answered, but not with GPU records: ${JSON.stringify(lines[0]?.slice(0, 120) ?? '')}`, gpus };
  }
  return { status: gpus.length > 0 ? 'ok' : 'none', error: null, gpus };
}
