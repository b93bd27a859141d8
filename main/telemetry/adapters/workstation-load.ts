import si from 'systeminformation';
import type { WorkstationLoad } from '../sampler.js';

const MIB = 2 ** 20;

/** This workstation's CPU load (since the previous call) and memory in use, via systeminformation. */
export async function readWorkstationLoad(): Promise<WorkstationLoad> {
  const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
  return { cpuUtil: load.currentLoad, memUsedMiB: Math.round(mem.active / MIB), memTotalMiB: Math.round(mem.total / MIB) };
}
