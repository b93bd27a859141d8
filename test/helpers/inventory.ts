import type { NodeInventory } from '../../shared/domain/discovery.js';

/** A node inventory with nothing found but its host name: enough to store a node and its pin. */
export const bareInventory = (hostname: string): NodeInventory => ({
  hostname,
  os: { name: null, kernel: null, arch: null },
  cpu: { model: null, cores: null },
  memory: { totalBytes: null, availableBytes: null },
  disks: [],
  gpuStatus: 'none',
  gpuError: null,
  gpus: [],
  jetson: null,
  engines: [],
  modelFiles: [],
  listeningPorts: [],
  warnings: [],
  collectedAt: '2026-11-25T00:00:00.000Z',
});
