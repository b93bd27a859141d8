import type { NodeGpu } from '../../../shared/domain/discovery.js';

/** The probe's query, in this order: index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,pci.bus_id,driver_version. */
const QUERY_FIELDS = 10;

export interface NvidiaReading {
  status: 'ok' | 'none' | 'driver-error';
  error: string | null;
  gpus: NodeGpu[];
  warnings: string[];
}

/** `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `[Function Not Found]`…: nvidia-smi's "no value". */
const isUnavailable = (value: string): boolean => /^\[.*\]$/.test(value) || value === 'N/A' || value === '';

function text(value: string | undefined): string | null {
  const v = (value ?? '').trim();
  return isUnavailable(v) ? null : v;
}

/** Accepts `nounits` values and, should a driver ignore that flag, `80 %` or `39.32 W`. */
function number(value: string | undefined): number | null {
  const v = text(value);
  if (v === null) return null;
  const match = /^-?\d+(?:\.\d+)?/.exec(v);
  return match ? Number(match[0]) : null;
}

function nonNegative(value: string | undefined): number | null {
  const n = number(value);
  return n === null || n < 0 ? null : n;
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
export function parseNvidiaQuery(output: string | null, exitStatus: number | 'absent' | 'missing', listOutput: string | null): NvidiaReading {
  if (output === null || exitStatus === 'absent' || exitStatus === 'missing') return { status: 'none', error: null, gpus: [], warnings: [] };
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (exitStatus !== 0) {
    if (lines.some((l) => /^No devices were found/i.test(l))) return { status: 'none', error: null, gpus: [], warnings: [] };
    const reason = lines.join(' ').slice(0, 300) || `nvidia-smi exited with status ${exitStatus} and said nothing`;
    return { status: 'driver-error', error: reason, gpus: [], warnings: [] };
  }
  const mig = listOutput ? parseNvidiaList(listOutput) : new Map<number, Array<{ profile: string; uuid: string }>>();
  const gpus: NodeGpu[] = [];
  const warnings: string[] = [];
  for (const line of lines) {
    const f = line.split(/,\s*/);
    const index = number(f[0]);
    const name = text(f[1]);
    if (f.length !== QUERY_FIELDS || index === null || !Number.isInteger(index) || index < 0 || name === null) {
      warnings.push(`nvidia-smi printed a line that is not a GPU record: "${line.slice(0, 80)}"`);
      continue;
    }
    gpus.push({
      index,
      name,
      uuid: text(f[2]),
      memoryTotalMiB: nonNegative(f[3]),
      memoryUsedMiB: nonNegative(f[4]),
      utilizationPct: nonNegative(f[5]),
      temperatureC: number(f[6]),
      powerW: nonNegative(f[7]),
      pciBusId: text(f[8]),
      driverVersion: text(f[9]),
      migDevices: mig.get(index) ?? [],
      unifiedMemory: false,
    });
  }
  if (gpus.length === 0 && warnings.length > 0) {
    return { status: 'driver-error', error: `nvidia-smi answered, but not with GPU records: "${lines[0]?.slice(0, 120) ?? ''}"`, gpus, warnings };
  }
  return { status: gpus.length > 0 ? 'ok' : 'none', error: null, gpus, warnings };
}
