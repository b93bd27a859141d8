import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../../shared/errors.js';
import { findGpu } from './catalog-gpus.js';
import { devicesFromInventory } from './inventory-devices.js';
import { planShards } from './plan-shards.js';

const MiB = 1024 * 1024;

test('a MIG-enabled GPU is planned as its instances: each with its memory and its share of compute and bandwidth', () => {
  const { devices } = devicesFromInventory(['h100-mig'], [{ name: 'h100-mig', memoryBytes: 512e9, gpus: [{ name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, migProfiles: ['3g.40gb', '2g.20gb', '1g.10gb', '1g.10gb'] }] }]);
  assert.deepEqual(
    devices.map((d) => d.gpu),
    ['H100-80GB/3g.40gb', 'H100-80GB/2g.20gb', 'H100-80GB/1g.10gb', 'H100-80GB/1g.10gb'],
  );
  const whole = findGpu('H100-80GB');
  const slice = findGpu('H100-80GB/3g.40gb');
  assert.equal(slice.name, 'H100-80GB MIG 3g.40gb');
  assert.equal(slice.memoryBytes, 40e9);
  assert.equal(slice.fp16Tflops, (whole.fp16Tflops * 3) / 7);
  assert.equal(slice.bandwidthGBs, (whole.bandwidthGBs * 40e9) / (81559 * MiB));
  assert.equal(findGpu('A100-40GB/1g.5gb+me').memoryBytes, 5e9);
  assert.throws(
    () => findGpu('H100-80GB/9g.10gb'),
    (e: unknown) => e instanceof OutpostError && e.code === 'INVALID_INPUT' && /not a MIG profile/.test(e.message),
  );
});

test('a plan on MIG slices uses the slices, not the whole GPU: a model that fits the GPU does not fit one 1g.10gb slice', () => {
  const request = { model: 'Llama-3.1-8B', quant: 'Q8_0', context: 4096, whatIf: false };
  assert.ok(planShards({ ...request, devices: [{ gpu: 'H100-80GB' }] }).feasible);
  const oneSlice = planShards({ ...request, devices: [{ gpu: 'H100-80GB/1g.10gb' }] });
  assert.equal(oneSlice.feasible, false);
  const slices = planShards({
    ...request,
    devices: [
      { gpu: 'H100-80GB/3g.40gb', node: 'h100' },
      { gpu: 'H100-80GB/1g.10gb', node: 'h100' },
    ],
  });
  assert.ok(slices.feasible);
  assert.ok(slices.stages.every((s) => s.gpu.startsWith('H100-80GB MIG ')));
  // A slice is slower than the whole GPU: three sevenths of the compute, half the bandwidth.
  const whole = planShards({ ...request, devices: [{ gpu: 'H100-80GB' }] });
  assert.ok(whole.feasible);
  const onThreeG = planShards({ ...request, devices: [{ gpu: 'H100-80GB/3g.40gb' }] });
  assert.ok(onThreeG.feasible && onThreeG.estimates.singleStreamTokensPerSecond < whole.estimates.singleStreamTokensPerSecond * 0.55);
});

test('a Jetson is planned with the RAM it reports, and its module by that RAM', () => {
  const { devices } = devicesFromInventory(
    ['nx8', 'nano4'],
    [
      { name: 'nx8', memoryBytes: 7450 * MiB, gpus: [{ name: 'NVIDIA Jetson Orin NX (integrated)', memoryMiB: 7450 }] },
      { name: 'nano4', memoryBytes: 3450 * MiB, gpus: [{ name: 'NVIDIA Jetson Orin Nano (integrated)', memoryMiB: 3450 }] },
    ],
  );
  assert.deepEqual(devices, [
    { gpu: 'Jetson-Orin-NX-8GB', node: 'nx8', memoryGB: (7450 * MiB) / 1e9 },
    { gpu: 'Jetson-Orin-Nano-4GB', node: 'nano4', memoryGB: (3450 * MiB) / 1e9 },
  ]);
  // An 8B model at Q4_K_M fits a 16 GB Orin NX but not the 8 GB one it really is.
  const request = { model: 'Llama-3.1-8B', quant: 'Q4_K_M', context: 4096, whatIf: false };
  assert.ok(planShards({ ...request, devices: [{ gpu: 'Jetson-Orin-NX-16GB' }] }).feasible);
  assert.equal(planShards({ ...request, devices: [devices[0]!] }).feasible, false);
});

test('a GPU without MIG is one device, as before', () => {
  const { devices } = devicesFromInventory(['a'], [{ name: 'a', memoryBytes: 1e11, gpus: [{ name: 'NVIDIA L40S', memoryMiB: 46068, migProfiles: [] }] }]);
  assert.deepEqual(devices, [{ gpu: 'L40S', node: 'a' }]);
});
