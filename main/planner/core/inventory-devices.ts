import { OutpostError } from '../../../shared/errors.js';
import type { DeviceRequestSchema, NodeRequestSchema } from '../../../shared/domain/planner.js';
import type { z } from 'zod';
import { findGpu } from './catalog-gpus.js';
import { catalogNameForGpu } from './gpu-names.js';
import { nearestNames } from './names.js';

type DeviceRequest = z.input<typeof DeviceRequestSchema>;
type NodeRequest = z.input<typeof NodeRequestSchema>;

const MiB = 1024 * 1024;

/** What the planner needs to know of an inventoried node. */
export interface InventoryNode {
  name: string;
  memoryBytes: number;
  /** MIG instances by profile (`3g.40gb`), as `nvidia-smi -L` lists them; absent or empty when MIG is off. */
  gpus: Array<{ name: string; memoryMiB: number | null; migProfiles?: readonly string[] }>;
  /** Link speed of the node's NIC where discovery measured it. */
  nicGbps?: number | undefined;
}

/**
 * Turns inventory nodes into planner devices: each GPU by its catalog entry, each MIG instance
 * of a MIG-enabled GPU as a device of its own (`H100-80GB/3g.40gb`: the slice's memory and share
 * of compute), a Jetson with the RAM it reports, or the CPU with the node's RAM when it has no
 * GPU. A GPU the catalog does not know is an error that names it, never a silent skip.
 */
export function devicesFromInventory(wanted: readonly string[], inventory: readonly InventoryNode[]): { devices: DeviceRequest[]; nodes: NodeRequest[] } {
  const devices: DeviceRequest[] = [];
  const nodes: NodeRequest[] = [];
  for (const name of wanted) {
    const node = inventory.find((n) => n.name === name);
    if (!node) {
      const near = nearestNames(
        name,
        inventory.map((n) => n.name),
      );
      throw new OutpostError('NOT_FOUND', `there is no node named "${name}" in the inventory`, near.length ? `did you mean ${near.join(', ')}? (see \`outpost nodes\`)` : 'run `outpost discover` first, or plan with --gpus');
    }
    nodes.push(node.nicGbps ? { name: node.name, nicGbps: node.nicGbps } : { name: node.name });
    if (node.gpus.length === 0) {
      devices.push({ gpu: 'CPU', node: node.name, memoryGB: node.memoryBytes / 1e9 });
      continue;
    }
    for (const gpu of node.gpus) {
      const catalogName = catalogNameForGpu(gpu.name, gpu.memoryMiB);
      if (!catalogName) {
        throw new OutpostError('INVALID_INPUT', `node ${node.name} has a GPU the planner's catalog does not know ("${gpu.name}")`, 'plan with --gpus naming the closest catalog GPU, or leave this node out');
      }
      devices.push(...devicesOfGpu(catalogName, gpu, node.name));
    }
  }
  return { devices, nodes };
}

function devicesOfGpu(catalogName: string, gpu: InventoryNode['gpus'][number], node: string): DeviceRequest[] {
  const slices = gpu.migProfiles ?? [];
  if (slices.length > 0) return slices.map((profile) => ({ gpu: `${catalogName}/${profile}`, node }));
  // A unified-memory board (Jetson) shares the RAM it reports; the catalog size is only the nominal module.
  if (findGpu(catalogName).unifiedMemory && gpu.memoryMiB !== null && gpu.memoryMiB > 0) return [{ gpu: catalogName, node, memoryGB: (gpu.memoryMiB * MiB) / 1e9 }];
  return [{ gpu: catalogName, node }];
}
