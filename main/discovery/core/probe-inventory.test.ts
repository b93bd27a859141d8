import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProbeFormatError, parseProbeOutput } from './probe-inventory.js';

// Captured formats are quoted verbatim from shared/formats/ (the file named beside each).
const B = '@@outpost-0123456789abcdef';
const AT = new Date('2026-03-01T10:00:00.000Z');

type Section = [name: string, body: string | Buffer, status?: number | 'absent'];

/** Frames sections exactly as the probe script does. */
function document(sections: Section[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from(`${B} begin 1\n`)];
  for (const [name, body, status = 0] of sections) {
    parts.push(Buffer.from(`\n${B} sec ${name}\n`), Buffer.from(body), Buffer.from(`\n${B} rc ${status}\n`));
  }
  if (end) parts.push(Buffer.from(`\n${B} end\n`));
  return Buffer.concat(parts);
}

const host = (extra: Section[]): Buffer => document([['hostname', 'gpu-01\n'], ['meminfo', 'MemTotal:       263800000 kB\nMemAvailable:   250000000 kB\n'], ...extra]);

test('several GPUs from --format=csv,noheader,nounits (4× A10, shared/formats/nvidia-smi-query-noheader.txt values in the probe field order)', () => {
  const smi = [
    '0, NVIDIA A10, GPU-11111111-2222-3333-4444-555555555555, 23028, 19676, 0, 45, 58.98, 00000000:17:00.0, 535.129.03',
    '1, NVIDIA A10, GPU-11111111-2222-3333-4444-555555555556, 23028, 19638, 0, 45, 62.35, 00000000:31:00.0, 535.129.03',
    '2, NVIDIA A10, GPU-11111111-2222-3333-4444-555555555557, 23028, 21700, 0, 44, 59.57, 00000000:B1:00.0, 535.129.03',
    '3, NVIDIA A10, GPU-11111111-2222-3333-4444-555555555558, 23028, 18222, 0, 45, 61.76, 00000000:CA:00.0, 535.129.03',
  ].join('\n');
  const inv = parseProbeOutput(host([['nvidia-smi', `${smi}\n`]]), B, AT);
  assert.equal(inv.gpuStatus, 'ok');
  assert.equal(inv.gpus.length, 4);
  assert.deepEqual(
    inv.gpus.map((g) => g.memoryUsedMiB),
    [19676, 19638, 21700, 18222],
  );
  assert.equal(inv.gpus[1]?.powerW, 62.35);
  assert.equal(inv.gpus[3]?.pciBusId, '00000000:CA:00.0');
  assert.equal(inv.gpus[0]?.driverVersion, '535.129.03');
});

test('[N/A] and [Not Supported] read as unknown, never as zero (older and newer drivers)', () => {
  const smi = '0, NVIDIA A100-PCIE-40GB, [N/A], 40960, 74, [N/A], 38, 36.79, 00000000:3B:00.0, 550.54.15\n1, Tesla T4, GPU-x, 15360, 0, 0, 44, [Not Supported], 00000000:5E:00.0, 470.256.02\n';
  const inv = parseProbeOutput(host([['nvidia-smi', smi]]), B, AT);
  assert.equal(inv.gpus[0]?.uuid, null);
  assert.equal(inv.gpus[0]?.utilizationPct, null);
  assert.equal(inv.gpus[1]?.powerW, null);
  assert.equal(inv.gpus[1]?.utilizationPct, 0);
});

test('MIG: instances from nvidia-smi -L are attached to their GPU (shared/formats/nvidia-smi-L.txt, H100 MIG)', () => {
  const list = `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-0000-0000-000000000000)
  MIG 3g.40gb     Device  0: (UUID: MIG-00000000-0000-0000-0000-000000000000)
  MIG 2g.20gb     Device  1: (UUID: MIG-00000001-0000-0000-0000-000000000001)
  MIG 1g.10gb     Device  2: (UUID: MIG-00000002-0000-0000-0000-000000000002)
  MIG 1g.10gb     Device  3: (UUID: MIG-00000003-0000-0000-0000-000000000003)
`;
  const smi = '0, NVIDIA H100 80GB HBM3, GPU-00000000-0000-0000-0000-000000000000, 81559, 0, [N/A], 33, 71.20, 00000000:18:00.0, 590.48.01\n';
  const inv = parseProbeOutput(
    host([
      ['nvidia-smi', smi],
      ['nvidia-smi-L', list],
    ]),
    B,
    AT,
  );
  assert.deepEqual(
    inv.gpus[0]?.migDevices.map((m) => m.profile),
    ['3g.40gb', '2g.20gb', '1g.10gb', '1g.10gb'],
  );
  assert.equal(inv.gpus[0]?.migDevices[3]?.uuid, 'MIG-00000003-0000-0000-0000-000000000003');
  assert.equal(inv.gpus[0]?.utilizationPct, null);
});

test("a broken driver is a driver error with nvidia-smi's own words, not 'no GPU' (shared/formats/nvidia-smi-errors.txt)", () => {
  const mismatch = parseProbeOutput(host([['nvidia-smi', 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.124\n', 18]]), B, AT);
  assert.equal(mismatch.gpuStatus, 'driver-error');
  assert.equal(mismatch.gpuError, 'Failed to initialize NVML: Driver/library version mismatch NVML library version: 570.124');
  const noDriver = parseProbeOutput(host([['nvidia-smi', 'NVIDIA-SMI has failed because it couldn‘t communicate with the NVIDIA driver.\nMake sure that the latest NVIDIA driver is installed and running.\n', 9]]), B, AT);
  assert.equal(noDriver.gpuStatus, 'driver-error');
  assert.match(noDriver.gpuError ?? '', /couldn‘t communicate with the NVIDIA driver/);
});

test('no nvidia-smi at all, or "No devices were found", is a host without GPUs', () => {
  assert.equal(parseProbeOutput(host([['nvidia-smi', '', 'absent']]), B, AT).gpuStatus, 'none');
  const none = parseProbeOutput(host([['nvidia-smi', 'No devices were found\n', 6]]), B, AT);
  assert.equal(none.gpuStatus, 'none');
  assert.equal(none.gpus.length, 0);
});

test('a Jetson: L4T release, device-tree model with its trailing NUL, and a unified-memory GPU of the RAM size', () => {
  const inv = parseProbeOutput(
    document([
      ['hostname', 'orin\n'],
      ['meminfo', 'MemTotal:       64335000 kB\nMemFree:         1000 kB\nMemAvailable:   60000000 kB\n'],
      // shared/formats/nv_tegra_release.txt, R36.4.0 (4 lines)
      [
        'nv-tegra-release',
        '# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13 04:36:44 UTC 2024\n# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\nTARGET_USERSPACE_LIB_DIR_PATH=usr/lib/aarch64-linux-gnu/nvidia\n',
      ],
      // shared/formats/device-tree-model.txt: the raw file is the string + '\0', no newline
      ['device-tree-model', Buffer.from('NVIDIA Jetson AGX Orin Developer Kit\0')],
      ['nvidia-smi', '', 'absent'],
    ]),
    B,
    AT,
  );
  assert.deepEqual(inv.jetson, { model: 'NVIDIA Jetson AGX Orin Developer Kit', l4tRelease: 'R36.4.0', board: 'generic' });
  assert.equal(inv.gpus.length, 1);
  assert.equal(inv.gpus[0]?.name, 'NVIDIA Jetson AGX Orin (integrated)');
  assert.equal(inv.gpus[0]?.unifiedMemory, true);
  assert.equal(inv.gpus[0]?.memoryTotalMiB, Math.round((64335000 * 1024) / 2 ** 20));
});

test('an old L4T release line (R28.2.1, board t186ref) and the JetPack 6 "Super" model name', () => {
  const inv = parseProbeOutput(
    host([
      ['nv-tegra-release', '# R28 (release), REVISION: 2.1, GCID: 11272647, BOARD: t186ref, EABI: aarch64, DATE: Thu May 17 07:29:06 UTC 2018\n'],
      ['device-tree-model', Buffer.from('NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super\0')],
    ]),
    B,
    AT,
  );
  assert.equal(inv.jetson?.l4tRelease, 'R28.2.1');
  assert.equal(inv.jetson?.board, 't186ref');
  assert.equal(inv.gpus[0]?.name, 'NVIDIA Jetson Orin Nano (integrated)');
});

test('lscpu in the nested util-linux 2.37 layout (shared/formats/lscpu-cpuinfo.txt, AGX Orin), /proc/cpuinfo without "model name" as fallback', () => {
  const lscpu =
    'Architecture:            aarch64\n  CPU op-mode(s):        32-bit, 64-bit\n  Byte Order:            Little Endian\nCPU(s):                  12\n  On-line CPU(s) list:   0-11\nVendor ID:               ARM\n  Model name:            Cortex-A78AE\n    Model:               1\n    Thread(s) per core:  1\n';
  assert.deepEqual(parseProbeOutput(host([['lscpu', lscpu]]), B, AT).cpu, { model: 'Cortex-A78AE', cores: 12 });
  const cpuinfo = 'processor\t: 0\nBogoMIPS\t: 38.40\n\nprocessor\t: 1\nBogoMIPS\t: 38.40\n';
  assert.deepEqual(
    parseProbeOutput(
      host([
        ['lscpu', '', 'absent'],
        ['cpuinfo', cpuinfo],
      ]),
      B,
      AT,
    ).cpu,
    { model: null, cores: 2 },
  );
});

test('engine versions: both llama.cpp forms, and vLLM after its INFO log line (shared/formats/*-version.txt)', () => {
  const inv = parseProbeOutput(
    host([
      ['engine:llama-server', '/usr/local/bin/llama-server\nversion: 3871 (d10d90ae)\nbuilt with cc (Ubuntu 13.3.0-6ubuntu2~24.04) 13.3.0 for x86_64-linux-gnu\n'],
      ['engine:rpc-server', '/usr/local/bin/rpc-server\n'],
      ['engine:vllm', '/opt/venv/bin/vllm\nINFO 11-14 17:22:53 [__init__.py:241] Automatically detected platform cuda.\n0.10.1.dev544+gc90fb03df.precompiled\n'],
    ]),
    B,
    AT,
  );
  assert.deepEqual(inv.engines, [
    { engine: 'llama-server', path: '/usr/local/bin/llama-server', version: '3871 (d10d90ae)' },
    { engine: 'rpc-server', path: '/usr/local/bin/rpc-server', version: null },
    { engine: 'vllm', path: '/opt/venv/bin/vllm', version: '0.10.1.dev544+gc90fb03df.precompiled' },
  ]);
  const newer = parseProbeOutput(host([['engine:llama-server', '/opt/llama.cpp/build/bin/llama-server\nversion: 0.3.0-dev (build 10621, commit c1d0e7a00)\nbuilt with MSVC 19.29.30157.0 for\n']]), B, AT);
  assert.equal(newer.engines[0]?.version, '0.3.0-dev (build 10621, commit c1d0e7a00)');
  assert.equal(parseProbeOutput(host([['engine:vllm', '/usr/bin/vllm\n0.23.0+cu129\n']]), B, AT).engines[0]?.version, '0.23.0+cu129');
});

test('a non-UTF-8 hostname and model paths with quotes, $(…) and newlines are kept as text, never broken', () => {
  const hostname = Buffer.from([0x67, 0x70, 0x75, 0x2d, 0xe9, 0xff, 0x0a]);
  const odd = '/home/u/models/it\'s "odd" $(id)\nnext.gguf';
  const models = Buffer.concat([Buffer.from(`4096\t${'a'.repeat(64)}\t${odd}\0`), Buffer.from(`100\t\t/m/x/model-00001.safetensors\x00200\t\t/m/x/model-00002.safetensors\0`)]);
  const inv = parseProbeOutput(
    document([
      ['hostname', hostname],
      ['models', models],
    ]),
    B,
    AT,
  );
  assert.equal(inv.hostname, 'gpu-\ufffd\ufffd');
  assert.deepEqual(inv.modelFiles, [
    { path: odd, format: 'gguf', sizeBytes: 4096, headerDigest: 'a'.repeat(64) },
    { path: '/m/x', format: 'safetensors', sizeBytes: 300, headerDigest: null },
  ]);
});

test('listening ports from /proc/net/tcp (state 0A only), df keeps real block devices only', () => {
  const tcp =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n   2: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n';
  const df =
    'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/nvme0n1p2   959786032 210000000 700000000      24% /\ntmpfs             16000000         0  16000000       0% /dev/shm\n/dev/sdb1       7811000000 100000000 7711000000       2% /data models\n/dev/loop3           65536     65536         0     100% /snap/core/1\n';
  const inv = parseProbeOutput(
    host([
      ['net-tcp', tcp],
      ['df', df],
    ]),
    B,
    AT,
  );
  assert.deepEqual(inv.listeningPorts, [22, 8080]);
  assert.deepEqual(
    inv.disks.map((d) => d.mount),
    ['/', '/data models'],
  );
  assert.equal(inv.disks[1]?.freeBytes, 7711000000 * 1024);
});

test('garbage, a cut-short answer and a missing hostname are refused with a reason', () => {
  assert.throws(
    () => parseProbeOutput(Buffer.from('Welcome!\n\x01\xff this is not what you asked for\n', 'latin1'), B, AT),
    (e: unknown) => e instanceof ProbeFormatError && /not an Outpost probe document/.test(e.message),
  );
  assert.throws(
    () => parseProbeOutput(host([['lscpu', 'Architecture: x86_64\n']]).subarray(0, 120), B, AT),
    (e: unknown) => e instanceof ProbeFormatError && /cut short after 120 bytes/.test(e.message),
  );
  assert.throws(
    () => parseProbeOutput(document([['meminfo', 'MemTotal: 1 kB\n']]), B, AT),
    (e: unknown) => e instanceof ProbeFormatError && /no hostname/.test(e.message),
  );
  // Output framed with another probe's boundary is not accepted as this one's.
  assert.throws(() => parseProbeOutput(host([]), '@@outpost-ffffffffffffffff', AT), ProbeFormatError);
});

test('an nvidia-smi answer that is not GPU records is a driver error, not an empty GPU list', () => {
  const inv = parseProbeOutput(host([['nvidia-smi', 'Unable to determine the device handle for GPU0000:65:00.0: Unknown Error\n']]), B, AT);
  assert.equal(inv.gpuStatus, 'driver-error');
  assert.match(inv.gpuError ?? '', /Unknown Error/);
});
