import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeInventory } from '../../../shared/domain/discovery.js';
import { diffInventories, nodeNameFor } from './inventory-diff.js';

const gpu = (index: number, uuid: string) => ({
  index,
  name: 'NVIDIA A100-SXM4-80GB',
  uuid,
  memoryTotalMiB: 81920,
  memoryUsedMiB: 1,
  utilizationPct: 0,
  temperatureC: 30,
  powerW: 60,
  pciBusId: null,
  driverVersion: '550.90.07',
  migDevices: [],
  unifiedMemory: false,
});

const base: NodeInventory = {
  hostname: 'gpu-a100-01',
  os: { name: 'Ubuntu 22.04.4 LTS', kernel: '5.15.0', arch: 'x86_64' },
  cpu: { model: 'AMD EPYC 7763', cores: 256 },
  memory: { totalBytes: 1024 * 2 ** 30, availableBytes: 900 * 2 ** 30 },
  disks: [],
  gpuStatus: 'ok',
  gpuError: null,
  gpus: [gpu(0, 'GPU-a'), gpu(1, 'GPU-b')],
  jetson: null,
  engines: [{ engine: 'llama-server', path: '/usr/local/bin/llama-server', version: '3871 (d10d90ae)' }],
  modelFiles: [{ path: '/models/a.gguf', format: 'gguf', sizeBytes: 100, headerDigest: 'aa' }],
  listeningPorts: [22],
  warnings: [],
  collectedAt: '2026-01-01T00:00:00.000Z',
};

test('a first scan reports the node as new', () => {
  assert.deepEqual(diffInventories(null, base), [{ subject: 'node', change: 'added', detail: 'first seen as gpu-a100-01' }]);
});

test('readings that move by themselves (load, free memory, temperatures) are not changes', () => {
  const later = { ...base, memory: { ...base.memory, availableBytes: 10 }, gpus: base.gpus.map((g) => ({ ...g, utilizationPct: 99, temperatureC: 80, memoryUsedMiB: 70000 })), collectedAt: '2026-01-02T00:00:00.000Z' };
  assert.deepEqual(diffInventories(base, later), []);
});

test('a GPU gone, RAM changed, a new model file and an engine upgrade are each reported', () => {
  const later: NodeInventory = {
    ...base,
    memory: { ...base.memory, totalBytes: 512 * 2 ** 30 },
    gpus: [gpu(0, 'GPU-a')],
    engines: [{ engine: 'llama-server', path: '/usr/local/bin/llama-server', version: '4291 (ce8784bd)' }],
    modelFiles: [...base.modelFiles, { path: '/models/b.gguf', format: 'gguf', sizeBytes: 2 * 2 ** 30, headerDigest: 'bb' }],
  };
  const changes = diffInventories(base, later);
  assert.deepEqual(changes.map((c) => `${c.subject} ${c.change}`).sort(), ['engine changed', 'gpu removed', 'memory changed', 'model-file added'].sort());
  assert.match(changes.find((c) => c.subject === 'memory')?.detail ?? '', /1\.0 TiB → 512\.0 GiB/);
  assert.match(changes.find((c) => c.subject === 'engine')?.detail ?? '', /3871 \(d10d90ae\) → 4291 \(ce8784bd\)/);
});

test('node names keep only letters, digits, dots and dashes; an empty result falls back to the address', () => {
  assert.equal(nodeNameFor('gpu-a100-01', '10.0.0.2'), 'gpu-a100-01');
  assert.equal(nodeNameFor('gpu-$(touch /tmp/x)', '10.0.0.2'), 'gpu-touch-tmp-x');
  assert.equal(nodeNameFor('gpu-\ufffd\ufffd-01', '10.0.0.2'), 'gpu-01');
  assert.equal(nodeNameFor('\'";`', '10.0.0.2'), '10.0.0.2');
});
