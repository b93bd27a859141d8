import assert from 'node:assert/strict';
import fs from 'node:fs';
import test from 'node:test';
import { catalogNameForGpu } from './gpu-names.js';

test('driver-reported names map to catalog entries, memory settling variants', () => {
  const cases: Array<[string, number | null, string | null]> = [
    ['NVIDIA A100-SXM4-80GB', 81920, 'A100-80GB'],
    ['NVIDIA A100-PCIE-40GB', 40960, 'A100-40GB'],
    ['NVIDIA PG509-210', 81920, 'A100-80GB'],
    ['Tesla T4', 15360, 'T4'],
    ['NVIDIA L40S', 46068, 'L40S'],
    ['NVIDIA L4', 23034, 'L4'],
    ['NVIDIA A10G', 23028, 'A10G'],
    ['NVIDIA H100 80GB HBM3', 81559, 'H100-80GB'],
    ['NVIDIA GeForce RTX 4090', 24564, 'RTX-4090'],
    ['Tesla V100-SXM2-32GB', 32768, 'V100-32GB'],
    ['NVIDIA Jetson AGX Orin Developer Kit', 62800, 'Jetson-AGX-Orin-64GB'],
    ['NVIDIA Jetson AGX Orin', 30536, 'Jetson-AGX-Orin-32GB'],
    ['NVIDIA Jetson AGX Orin (integrated)', 62800, 'Jetson-AGX-Orin-64GB'],
    ['NVIDIA Orin NX (integrated)', 15600, 'Jetson-Orin-NX-16GB'],
    ['NVIDIA Orin NX Developer Kit', 15600, 'Jetson-Orin-NX-16GB'],
    ['NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super', 7620, 'Jetson-Orin-Nano-8GB'],
    ['NVIDIA Jetson Orin NX Engineering Reference Developer Kit (integrated)', 7450, 'Jetson-Orin-NX-8GB'],
    ['NVIDIA Jetson Orin Nano Developer Kit (integrated)', 3450, 'Jetson-Orin-Nano-4GB'],
    ['NVIDIA Jetson Orin NX (integrated)', null, 'Jetson-Orin-NX-16GB'],
    ['Matrox G200eW', 16, null],
  ];
  for (const [reported, mib, expected] of cases) assert.equal(catalogNameForGpu(reported, mib), expected, reported);
});

test('GPU names from real nvidia-smi -L captures: catalog GPUs map, others are reported as unknown', () => {
  const capture = fs.readFileSync(new URL('../../../../test/fixtures/formats/nvidia-smi-L.txt', import.meta.url), 'utf8');
  const names = [...capture.matchAll(/^GPU \d+: (.+?) \(UUID/gm)].map((m) => m[1] as string);
  assert.ok(names.length >= 5);
  for (const reported of names) {
    const inCatalog = /H100|H200|A100|L40S|\bL4\b|A10G|T4|V100|4090/.test(reported);
    assert.equal(catalogNameForGpu(reported, null) !== null, inCatalog, reported);
  }
});

test('every Orin in test/fixtures/formats/device-tree-model.txt is planned by the memory it reports, not one size per name', () => {
  const capture = fs.readFileSync(new URL('../../../../test/fixtures/formats/device-tree-model.txt', import.meta.url), 'utf8');
  const orins = capture.split('\n').filter((l) => /Orin/.test(l) && !l.startsWith('###'));
  assert.ok(orins.length >= 3);
  const sizes: Record<string, [number, number]> = { 'AGX-Orin': [30536, 62800], 'Orin-NX': [7450, 15600], 'Orin-Nano': [3450, 7620] };
  for (const model of orins) {
    const [family, [smallMiB, largeMiB]] = Object.entries(sizes).find(([f]) => model.includes(f.replace('-', ' ')))!;
    const small = catalogNameForGpu(model, smallMiB);
    const large = catalogNameForGpu(model, largeMiB);
    assert.ok(small?.includes(family) && large?.includes(family), model);
    assert.notEqual(small, large, model);
  }
});
