import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../../shared/errors.js';
import { cpuDevice, findGpu, GPU_CATALOG, usableBytes } from './catalog-gpus.js';
import { findModel, layerParameters, MODEL_CATALOG, QUANTIZATIONS } from './catalog-models.js';
import { nearestNames } from './names.js';

test('the catalogs hold what the issue lists, each figure with its source', () => {
  const gpus = ['H100-80GB', 'H200', 'A100-80GB', 'A100-40GB', 'L40S', 'L4', 'A10G', 'T4', 'V100-32GB', 'RTX-4090', 'Jetson-AGX-Orin-64GB', 'Jetson-AGX-Orin-32GB', 'Jetson-Orin-NX-16GB', 'Jetson-Orin-Nano-8GB'];
  for (const name of gpus) assert.equal(findGpu(name).name, name);
  const models = ['Llama-3.1-8B', 'Llama-3.1-70B', 'Llama-3.1-405B', 'Llama-3.2-1B', 'Llama-3.2-3B', 'Mistral-7B', 'Mixtral-8x7B', 'Qwen2.5-7B', 'Qwen2.5-32B', 'Qwen2.5-72B'];
  for (const name of models) assert.equal(findModel(name).name, name);
  assert.deepEqual(
    QUANTIZATIONS.map((q) => q.name),
    ['F16', 'BF16', 'Q8_0', 'Q6_K', 'Q5_K_M', 'Q4_K_M', 'Q3_K_M', 'Q2_K'],
  );
  for (const entry of [...GPU_CATALOG, ...MODEL_CATALOG, ...QUANTIZATIONS]) assert.ok(entry.source.length > 10, entry.name);
  for (const gpu of GPU_CATALOG) assert.equal(gpu.unifiedMemory, gpu.name.startsWith('Jetson'), gpu.name);
});

test('parameter counts from the architecture figures match the published sizes', () => {
  const billions = (name: string): number => {
    const m = findModel(name);
    const embed = m.vocabSize * m.hiddenSize * (m.tiedEmbeddings ? 1 : 2);
    return (layerParameters(m).stored * m.layers + embed) / 1e9;
  };
  const near = (name: string, published: number) => assert.ok(Math.abs(billions(name) - published) / published < 0.03, `${name}: ${billions(name).toFixed(2)}B vs ${published}B`);
  near('Llama-3.1-8B', 8.03);
  near('Llama-3.1-70B', 70.6);
  near('Llama-3.1-405B', 405.9);
  near('Llama-3.2-1B', 1.24);
  near('Mixtral-8x7B', 46.7);
  near('Qwen2.5-72B', 72.7);
});

test('unified memory: a Jetson or CPU offers a share of its RAM; the CPU device needs inventory RAM', () => {
  const orin = findGpu('Jetson-AGX-Orin-64GB');
  assert.ok(usableBytes(orin, 0.9) < orin.memoryBytes * 0.9);
  assert.equal(usableBytes(findGpu('A100-80GB'), 0.9), Math.floor(findGpu('A100-80GB').memoryBytes * 0.9));
  assert.equal(cpuDevice({ ramBytes: 64e9 }).memoryBytes, 64e9);
  assert.throws(() => cpuDevice({ ramBytes: 0 }), OutpostError);
  assert.deepEqual(
    nearestNames(
      'jetson orin nano',
      GPU_CATALOG.map((g) => g.name),
      2,
    ),
    ['Jetson-Orin-Nano-4GB', 'Jetson-Orin-Nano-8GB'],
  );
});
