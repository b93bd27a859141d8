import assert from 'node:assert/strict';
import fs from 'node:fs';
import test from 'node:test';
import { boardPower, gpuLineSamples, tegrastatsSamples } from './gpu-lines.js';

const valueOf = (samples: ReturnType<typeof gpuLineSamples>, source: string, metric: string): number | undefined => samples.find((s) => s.source === source && s.metric === metric)?.value;

test('an nvidia-smi query line becomes the GPU series of its index', () => {
  const samples = gpuLineSamples('gpu-a', '1, 26, 19676, 23028, 45, 58.98', 100);
  assert.equal(samples.length, 5);
  assert.equal(valueOf(samples, 'gpu:gpu-a/1', 'gpu.util'), 26);
  assert.equal(valueOf(samples, 'gpu:gpu-a/1', 'gpu.mem.used'), 19676);
  assert.equal(valueOf(samples, 'gpu:gpu-a/1', 'gpu.power'), 58.98);
  assert.ok(samples.every((s) => s.ts === 100));
});

test('unavailable values ([N/A] under MIG, [Not Supported] on old drivers) are left out, not stored as zero', () => {
  const samples = gpuLineSamples('a100', '0, [N/A], 74, 40960, 38, [Not Supported]', 5);
  assert.deepEqual(samples.map((s) => s.metric).sort(), ['gpu.mem.total', 'gpu.mem.used', 'gpu.temp']);
});

test('lines that are not query rows (errors, headers, blank) give no samples', () => {
  for (const line of ['Failed to initialize NVML: Driver/library version mismatch', 'index, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, power.draw [W]', '', '0, 1, 2']) {
    assert.deepEqual(gpuLineSamples('a', line, 1), [], line);
  }
});

/** The literal captures of shared/formats/tegrastats.txt (JetPack 6 Orin Nano, TX2 sudo and non-sudo, AGX Xavier, Nano R32). */
const CAPTURED_TEGRASTATS = [
  '11-15-2024 08:38:09 RAM 6185/7620MB (lfb 8x2MB) SWAP 851/3810MB (cached 1MB) CPU [15%@729,11%@729,14%@729,13%@729,11%@729,8%@729] EMC_FREQ 43%@2133 GR3D_FREQ 63%@[621] NVDEC off NVJPG off NVJPG1 off VIC off OFA off APE 200 cpu@53.968C soc2@52.437C soc0@50.75C gpu@53.343C tj@53.968C soc1@51.656C VDD_IN 12479mW/12479mW VDD_CPU_GPU_CV 4667mW/4667mW VDD_SOC 2817mW/2817mW',
  'RAM 3276/7859MB (lfb 5x4MB) SWAP 1626/12122MB (cached 181MB) CPU [44%@1421,49%@2031,67%@2034,17%@1420,25%@1419,8%@1420] EMC_FREQ 1%@1866 GR3D_FREQ 0%@114 APE 150 MTS fg 1% bg 1% PLL@42.5C MCPU@42.5C PMIC@50C Tboard@38C GPU@39.5C BCPU@42.5C thermal@41.3C Tdiode@39.25C VDD_SYS_GPU 182/182 VDD_SYS_SOC 730/730 VDD_4V0_WIFI 0/0 VDD_IN 5297/5297 VDD_SYS_CPU 1917/1917 VDD_SYS_DDR 1241/1241',
  'RAM 2020/7852MB (lfb 1164x4MB) CPU [9%@345,21%@345,25%@345,3%@345,1%@345,1%@345] EMC_FREQ 0% GR3D_FREQ 0% PLL@42.5C MCPU@42.5C PMIC@100C Tboard@40C GPU@41C BCPU@42.5C thermal@41.9C Tdiode@41.25C VDD_SYS_GPU 153/158 VDD_SYS_SOC 536/547 VDD_4V0_WIFI 633/527 VDD_IN 3140/3208 VDD_SYS_CPU 536/590 VDD_SYS_DDR 557/601',
  'RAM 1733/15827MB (lfb 3283x4MB) CPU [1%@1190,0%@1190,0%@1190,0%@1190,off,off,off,off] EMC_FREQ 0% GR3D_FREQ 4% AO@25.5C GPU@26.5C iwlwifi@32C Tboard@27C Tdiode@29.75C AUX@25.5C CPU@26.5C thermal@26.1C PMIC@100C GPU 621/621 CPU 465/465 SOC 1397/1397 CV 0/0 VDDRQ 0/0 SYS5V 2053/2053',
  'RAM 1180/3965MB (lfb 1x2MB) SWAP 149/1024MB (cached 7MB) IRAM 0/252kB(lfb 252kB) CPU [30%@1036,33%@1036,28%@1036,26%@1036] EMC_FREQ 10%@1600 GR3D_FREQ 0%@76 NVENC 716 NVDEC 716 APE 25 PLL@57C CPU@60.5C PMIC@100C GPU@59C AO@65C thermal@59.75C POM_5V_IN 4520/4680 POM_5V_GPU 0/0 POM_5V_CPU 1078/1205',
];

test('every captured tegrastats generation yields memory, CPU and GPU load', () => {
  for (const line of CAPTURED_TEGRASTATS) {
    const samples = tegrastatsSamples('orin', line, 7);
    for (const metric of ['mem.used', 'mem.total', 'cpu.util'])
      assert.ok(
        samples.some((s) => s.source === 'node:orin' && s.metric === metric),
        `${metric} in ${line.slice(0, 40)}`,
      );
    assert.ok(
      samples.some((s) => s.source === 'gpu:orin/0' && s.metric === 'gpu.util'),
      line.slice(0, 40),
    );
  }
});

test('JetPack 6 tegrastats: cores averaged, lowercase GPU temperature, VDD_IN in watts', () => {
  const line =
    '11-15-2024 08:38:09 RAM 6185/7620MB (lfb 8x2MB) SWAP 851/3810MB (cached 1MB) CPU [15%@729,11%@729,14%@729,13%@729,11%@729,8%@729] EMC_FREQ 43%@2133 GR3D_FREQ 63%@[621] NVDEC off cpu@53.968C gpu@53.343C tj@53.968C VDD_IN 12479mW/12479mW VDD_SOC 2817mW/2817mW';
  const samples = tegrastatsSamples('orin', line, 1);
  assert.equal(valueOf(samples, 'node:orin', 'cpu.util'), 12);
  assert.equal(valueOf(samples, 'gpu:orin/0', 'gpu.util'), 63);
  assert.equal(valueOf(samples, 'gpu:orin/0', 'gpu.temp'), 53.343);
  assert.equal(valueOf(samples, 'node:orin', 'power'), 12.479);
});

test('offline cores are not averaged in, and an absent sensor (-256C) is no temperature', () => {
  const line = 'RAM 1733/15827MB (lfb 3283x4MB) CPU [1%@1190,3%@1190,off,off] EMC_FREQ 0% GR3D_FREQ 4% GPU@-256C';
  const samples = tegrastatsSamples('xavier', line, 1);
  assert.equal(valueOf(samples, 'node:xavier', 'cpu.util'), 2);
  assert.equal(valueOf(samples, 'gpu:xavier/0', 'gpu.temp'), undefined);
});

test('board power: the input rail when the line has one, else the sum of the rails it prints, flagged (every line of test/fixtures/formats/tegrastats.txt)', () => {
  const capture = fs.readFileSync(new URL('../../../../test/fixtures/formats/tegrastats.txt', import.meta.url), 'utf8');
  const lines = capture.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('###'));
  assert.equal(lines.length, 7);
  const found = lines.map((line) => {
    const samples = tegrastatsSamples('jetson', line, 1);
    return [valueOf(samples, 'node:jetson', 'power'), valueOf(samples, 'node:jetson', 'power.summed_rails')];
  });
  assert.deepEqual(found, [
    [12.479, undefined], // Orin Nano, JetPack 6: VDD_IN
    [5.297, undefined], // TX2: VDD_IN among the rails, no unit
    [3.14, undefined], // TX2 non-sudo
    [4.536, 6], // AGX Xavier: GPU, CPU, SOC, CV, VDDRQ, SYS5V and no input rail
    [4.52, undefined], // Nano R32: POM_5V_IN
    [7.009, 6], // AGX Orin, JetPack 5: VIN_SYS_5V0 is a 5 V rail, not the input
    [0.933, undefined], // Nano R32 non-sudo
  ]);
});

test('board power reads rails of any name and later generations with more values per rail; RAM and IRAM are not rails', () => {
  assert.deepEqual(boardPower('RAM 6185/7620MB IRAM 0/252kB(lfb 252kB) VDD_GPU 1200mW/1100mW/1500mW VDD_CPU 800mW/790mW/900mW'), { watts: 2, summedRails: 2 });
  assert.deepEqual(boardPower('RAM 6185/7620MB VDD_GPU 1200mW/1100mW/1500mW VDD_IN 5000mW/4900mW/6000mW'), { watts: 5, summedRails: 0 });
  assert.equal(boardPower('RAM 6185/7620MB (lfb 8x2MB) CPU [15%@729] GR3D_FREQ 63%@[621]'), null);
});
