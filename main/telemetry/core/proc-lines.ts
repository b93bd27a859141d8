import type { Sample } from '../../../shared/domain/telemetry.js';

/**
 * What a CPU-only node streams once a second: its aggregate `/proc/stat` line and its
 * memory total and available, on one line (`cpu 4705 356 584 3699 23 23 0 0 0 0 MemTotal: 16318000 kB MemAvailable: 9011000 kB`).
 * Plain POSIX tools every Linux host has, unlike vmstat or mpstat.
 */
export const PROC_STREAM = `while :; do echo "$(head -n1 /proc/stat) $(grep -E '^Mem(Total|Available):' /proc/meminfo | tr -s ' \\n' ' ')"; sleep 1; done`;

/** The CPU's busy and total jiffies since boot, from `/proc/stat`'s first line. */
export interface CpuCounters {
  busy: number;
  total: number;
}

/**
 * One streamed line as samples of `node:<node>`: CPU utilisation over the
 * interval since `previous` (none on the first line: a since-boot average
 * says nothing about now) and memory used and total in MiB. Returns the
 * counters the next line is measured against.
 */
export function procLineSamples(node: string, line: string, ts: number, previous: CpuCounters | null): { samples: Sample[]; counters: CpuCounters | null } {
  const source = `node:${node}`;
  const samples: Sample[] = [];
  const cpu = /^cpu\s+([\d\s]+)/.exec(line);
  let counters: CpuCounters | null = null;
  if (cpu?.[1]) {
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const fields = cpu[1].trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    counters = { busy: total - idle, total };
    if (previous && total > previous.total) samples.push({ source, metric: 'cpu.util', unit: '%', ts, value: Math.round(((counters.busy - previous.busy) / (total - previous.total)) * 1000) / 10 });
  }
  const memTotal = /MemTotal:\s*(\d+)\s*kB/.exec(line);
  const memAvailable = /MemAvailable:\s*(\d+)\s*kB/.exec(line);
  if (memTotal && memAvailable) {
    const totalMiB = Number(memTotal[1]) / 1024;
    samples.push({ source, metric: 'mem.used', unit: 'MiB', ts, value: Math.round(totalMiB - Number(memAvailable[1]) / 1024) });
    samples.push({ source, metric: 'mem.total', unit: 'MiB', ts, value: Math.round(totalMiB) });
  }
  return { samples, counters: counters ?? previous };
}
