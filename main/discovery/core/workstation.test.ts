import assert from 'node:assert/strict';
import test from 'node:test';
import { WorkstationInventorySchema } from '../../../shared/domain/workstation.js';
import { hardwareSignature, toWorkstationInventory } from './workstation.js';

test('maps systeminformation answers, dropping pseudo file systems', () => {
  const inventory = toWorkstationInventory(
    {
      os: { hostname: 'lab-pc', platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64' },
      cpu: { manufacturer: 'AMD', brand: 'EPYC 7B13', cores: 2, physicalCores: 1, speed: 2.45 },
      mem: { total: 24 * 2 ** 30, available: 20 * 2 ** 30 },
      disks: [
        { fs: '/dev/sda1', type: 'ext4', size: 1e11, used: 4e10, mount: '/' },
        { fs: 'overlay', type: 'overlay', size: 1e11, used: 1e10, mount: '/' },
        { fs: 'tmpfs', type: 'tmpfs', size: 1e9, used: 0, mount: '/dev/shm' },
      ],
      gpus: [{ vendor: 'NVIDIA', model: 'NVIDIA A100-SXM4-80GB', vram: 81920, driverVersion: ' 550.54.15 ' }],
    },
    [],
    new Date('2026-11-25T00:00:00Z'),
  );
  assert.equal(inventory.disks.length, 1);
  assert.equal(inventory.gpus[0]?.driverVersion, '550.54.15');
  assert.equal(inventory.cpu.speedGHz, 2.45);
  WorkstationInventorySchema.parse(inventory);
});

test('missing answers become explicit unknowns, never invented figures', () => {
  const inventory = toWorkstationInventory({}, ['graphics: timed out after 10 s'], new Date('2026-11-25T00:00:00Z'));
  assert.equal(inventory.hostname, 'unknown');
  assert.equal(inventory.memory.totalBytes, 0);
  assert.deepEqual(inventory.gpus, []);
  assert.deepEqual(inventory.warnings, ['graphics: timed out after 10 s']);
  WorkstationInventorySchema.parse(inventory);
});

test('the hardware signature ignores free memory and disk use but sees a new GPU', () => {
  const base = toWorkstationInventory({ os: { hostname: 'a' }, mem: { total: 100, available: 50 }, disks: [{ mount: '/', type: 'ext4', size: 10, used: 1 }] }, [], new Date('2026-11-25T00:00:00Z'));
  const busier = { ...base, memory: { totalBytes: 100, availableBytes: 5 }, disks: [{ ...base.disks[0]!, usedBytes: 9 }], collectedAt: '2026-11-26T00:00:00.000Z' };
  assert.equal(hardwareSignature(busier), hardwareSignature(base));
  const upgraded = { ...base, gpus: [{ vendor: 'NVIDIA', model: 'L4', vramMiB: 23034, driverVersion: null }] };
  assert.notEqual(hardwareSignature(upgraded), hardwareSignature(base));
});
