import { memoryCapacity, stageTime, type DeviceCost, type Role } from './partition.js';

export interface RoleCapacity {
  readonly only: number;
  readonly first: number;
  readonly middle: number;
  readonly last: number;
}

export const ROLES: readonly Role[] = ['only', 'first', 'middle', 'last'];

export function memoryCapacities(device: DeviceCost): RoleCapacity {
  return {
    only: memoryCapacity(device, 'only'),
    first: memoryCapacity(device, 'first'),
    middle: memoryCapacity(device, 'middle'),
    last: memoryCapacity(device, 'last'),
  };
}

/**
 * Most layers the device can take in `role` with its stage time at most `limit` and within
 * memory; 0 when it cannot take the role at all. Uses `stageTime` itself for the boundary so
 * the answer agrees bit for bit with how plans are judged.
 */
export function layersWithin(device: DeviceCost, role: Role, limit: number, memoryCap: number): number {
  if (memoryCap < 1) return 0;
  if (limit === Number.POSITIVE_INFINITY) return memoryCap;
  const extras = stageTime(device, 0, role);
  if (extras > limit) return 0;
  let layers = device.layerTime > 0 ? Math.min(memoryCap, Math.floor((limit - extras) / device.layerTime)) : memoryCap;
  while (layers > 0 && stageTime(device, layers, role) > limit) layers--;
  while (layers < memoryCap && stageTime(device, layers + 1, role) <= limit) layers++;
  return Math.max(0, layers);
}

export function capacitiesWithin(device: DeviceCost, limit: number, memory: RoleCapacity): RoleCapacity {
  return {
    only: layersWithin(device, 'only', limit, memory.only),
    first: layersWithin(device, 'first', limit, memory.first),
    middle: layersWithin(device, 'middle', limit, memory.middle),
    last: layersWithin(device, 'last', limit, memory.last),
  };
}
