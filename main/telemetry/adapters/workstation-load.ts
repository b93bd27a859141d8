import os from 'node:os';
import si from 'systeminformation';
import type { WorkstationLoad } from '../sampler.js';

const MIB = 2 ** 20;

/** Busy and total CPU time over every core, from the kernel's counters. */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * This workstation's CPU load since the previous reading and its memory in
 * use. CPU comes from os.cpus() deltas: systeminformation's currentLoad runs
 * `cat /proc/stat | grep` in a shell on every call, which once a second would
 * cost more than all the rest of the sampling; memory from systeminformation
 * (it reads /proc/meminfo, counting what is really available).
 */
export function workstationLoadReader(): () => Promise<WorkstationLoad> {
  let previous = cpuTimes();
  return async () => {
    const now = cpuTimes();
    const total = now.total - previous.total;
    const cpuUtil = total > 0 ? (100 * (now.busy - previous.busy)) / total : 0;
    previous = now;
    const mem = await si.mem();
    return { cpuUtil, memUsedMiB: Math.round(mem.active / MIB), memTotalMiB: Math.round(mem.total / MIB) };
  };
}
