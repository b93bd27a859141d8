import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INVENTORY_BOUNDS, NodeInventorySchema } from '../../../shared/domain/discovery.js';
import { WorkstationInventorySchema } from '../../../shared/domain/workstation.js';
import { InventoryChecks } from './inventory-checks.js';
import { parseProbeOutput } from './probe-inventory.js';
import { toWorkstationInventory } from './workstation.js';

const B = '@@outpost-0123456789abcdef';
const AT = new Date('2026-03-01T10:00:00.000Z');

function document(sections: Array<[string, string | Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from(`${B} begin 1\n`)];
  for (const [name, body] of sections) parts.push(Buffer.from(`\n${B} sec ${name}\n`), Buffer.from(body), Buffer.from(`\n${B} rc 0\n`));
  parts.push(Buffer.from(`\n${B} end\n`));
  return Buffer.concat(parts);
}

/** A host whose every answer is hostile, in the formats of the real tools. */
const HOSTILE = document([
  ['hostname', Buffer.from('gpu\x00-01\x1b]0;pwned\x07\x1b[2J\n')],
  ['os-release', 'PRETTY_NAME="Ubuntu\u202e 22.04"\n'],
  // 1e26 bytes available is 97656250000000000000000 kB.
  ['meminfo', 'MemTotal:       263800000 kB\nMemAvailable:   97656250000000000000000 kB\n'],
  [
    'nvidia-smi',
    [
      '0, NVIDIA A100\x00-SXM4-80GB, GPU-aaaa, 1e400, 100, 200, 999, 99999, 00000000:17:00.0, 535.129.03',
      '1, NVIDIA A100-SXM4-80GB, GPU-bbbb, 81920, 0x10, 50, -51, -5, 00000000:31:00.0, 535.129.03',
      '2, NVIDIA A100-SXM4-80GB, GPU-cccc, 81920, 1024, 7, 45, 61.5, 00000000:4B:00.0, 535.129.03',
    ].join('\n'),
  ],
  ['lscpu', 'CPU(s):                  99999999\n  Model name:            EPYC\x1b[31m 7B13\n'],
  ['df', 'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/nvme0n1p2   1e400 210000000 700000000      24% /\n/dev/sdb1   959786032 210000000 700000000      24% /data\n'],
  ['models', Buffer.from(`99999999999999999999999\t\t/m/huge.gguf\x004096\t\t/m/ok.gguf\0`)],
]);

test('hostile inventory values: each out-of-bounds field is unreadable with its reason, the rest of the host is kept', () => {
  const inv = parseProbeOutput(HOSTILE, B, AT);
  assert.equal(inv.hostname, 'gpu-01]0;pwned[2J', 'NUL, ESC and BEL removed');
  assert.equal(inv.os.name, 'Ubuntu 22.04');
  assert.equal(inv.cpu.model, 'EPYC[31m 7B13');
  assert.equal(inv.cpu.cores, null);

  assert.equal(inv.memory.totalBytes, 263800000 * 1024);
  assert.equal(inv.memory.availableBytes, null, '1e26 bytes of RAM is no reading');

  const [first, second, third] = inv.gpus;
  assert.equal(inv.gpus.length, 3);
  assert.equal(first?.name, 'NVIDIA A100-SXM4-80GB');
  assert.equal(first?.memoryTotalMiB, null, '1e400 is not 1 MiB');
  assert.equal(first?.memoryUsedMiB, 100);
  assert.equal(first?.utilizationPct, null, '200 % is no utilisation');
  assert.equal(first?.temperatureC, null);
  assert.equal(first?.powerW, null);
  assert.equal(first?.driverVersion, '535.129.03');
  assert.equal(second?.memoryUsedMiB, null, '0x10 is not a figure nvidia-smi prints');
  assert.equal(second?.utilizationPct, 50);
  assert.equal(second?.temperatureC, null, 'colder than −50 °C');
  assert.equal(second?.powerW, null, 'negative power');
  assert.deepEqual([third?.memoryTotalMiB, third?.memoryUsedMiB, third?.utilizationPct, third?.temperatureC, third?.powerW], [81920, 1024, 7, 45, 61.5]);

  assert.deepEqual(
    inv.disks.map((d) => [d.mount, d.sizeBytes, d.freeBytes]),
    [
      ['/', null, 700000000 * 1024],
      ['/data', 959786032 * 1024, 700000000 * 1024],
    ],
  );
  assert.deepEqual(
    inv.modelFiles.map((f) => f.path),
    ['/m/ok.gguf'],
  );

  const reasons = inv.warnings.join('\n');
  for (const expected of [
    /hostname: 4 control character\(s\) removed/,
    /OS name: 1 control character\(s\) removed/,
    /CPU model: 1 control character\(s\) removed/,
    /GPU 0 name: 1 control character\(s\) removed/,
    /CPU\(s\): "99999999" is outside 1–65536 CPUs/,
    /MemAvailable: "97656250000000000000000" is outside 0–1125899906842624 bytes/,
    /GPU 0 memory\.total: "1e400" is outside/,
    /GPU 0 utilization\.gpu: "200" is outside 0–100 %/,
    /GPU 0 temperature\.gpu: "999" is outside -50–150 °C/,
    /GPU 0 power\.draw: "99999" is outside 0–5000 W/,
    /GPU 1 memory\.used: "0x10" is not a number/,
    /df \/ size: "1e400" is outside/,
    /model file of 99999999999999999999999 bytes/,
  ]) {
    assert.match(reasons, expected);
  }
  assert.ok(!/[\x00\x07\x1b]/.test(reasons), 'a reason quotes the value without its control characters'); // eslint-disable-line no-control-regex -- finding them is the point
  NodeInventorySchema.parse(inv);
});

test('a figure with an exponent or a unit reads as that figure, never its leading digits', () => {
  const checks = new InventoryChecks();
  assert.equal(checks.figure('t', '1e3', INVENTORY_BOUNDS.gpuMemoryMiB), 1000);
  assert.equal(checks.figure('t', '39.32 W', INVENTORY_BOUNDS.powerW), 39.32);
  assert.equal(checks.figure('t', '80 %', INVENTORY_BOUNDS.utilizationPct), 80);
  assert.equal(checks.figure('t', '12abc34', INVENTORY_BOUNDS.utilizationPct), null);
  assert.equal(checks.figure('t', 'NaN', INVENTORY_BOUNDS.utilizationPct), null);
  assert.equal(checks.figure('t', '1e400', INVENTORY_BOUNDS.gpuMemoryMiB), null);
  assert.equal(checks.figure('t', '100.5', INVENTORY_BOUNDS.utilizationPct), null);
  assert.equal(checks.figure('t', '2.5', INVENTORY_BOUNDS.cpuCores), null, 'a count is whole');
  assert.equal(checks.figure('t', undefined, INVENTORY_BOUNDS.cpuCores), null);
  assert.equal(checks.warnings.length, 5, 'absent is not a warning; each refused figure is');
});

test('a stored inventory from before these checks reads its out-of-bounds figures as unreadable, not as a failure', () => {
  const inv = parseProbeOutput(document([['hostname', 'old\n']]), B, AT);
  const stored = JSON.parse(JSON.stringify(inv)) as Record<string, unknown>;
  stored.memory = { totalBytes: 1e26, availableBytes: 1024 };
  stored.gpus = [{ ...HOSTILE_GPU, utilizationPct: 200, temperatureC: 999, memoryTotalMiB: 1 }];
  const read = NodeInventorySchema.parse(stored);
  assert.equal(read.memory.totalBytes, null);
  assert.equal(read.memory.availableBytes, 1024);
  assert.deepEqual([read.gpus[0]?.utilizationPct, read.gpus[0]?.temperatureC, read.gpus[0]?.memoryTotalMiB], [null, null, 1]);
});

const HOSTILE_GPU = {
  index: 0,
  name: 'NVIDIA A100',
  uuid: null,
  memoryTotalMiB: 1,
  memoryUsedMiB: 0,
  utilizationPct: 0,
  temperatureC: 30,
  powerW: 50,
  pciBusId: null,
  driverVersion: null,
  migDevices: [],
  unifiedMemory: false,
};

test("the workstation's own answers get the same checks: control characters, figures out of bounds", () => {
  const inv = toWorkstationInventory(
    {
      os: { hostname: 'lab\x1b]0;pwned\x07-pc' },
      mem: { total: 1e26, available: 2 ** 30 },
      gpus: [{ vendor: 'NVIDIA', model: 'L4\x00', vram: Number.POSITIVE_INFINITY }],
    },
    ['graphics: timed out after 10 s'],
    AT,
  );
  assert.equal(inv.hostname, 'lab]0;pwned-pc');
  assert.equal(inv.memory.totalBytes, 0, "0 is this schema's unknown");
  assert.equal(inv.memory.availableBytes, 2 ** 30);
  assert.deepEqual(inv.gpus[0], { vendor: 'NVIDIA', model: 'L4', vramMiB: null, driverVersion: null });
  assert.equal(inv.warnings[0], 'graphics: timed out after 10 s');
  assert.match(inv.warnings.join('\n'), /memory total: "1e\+26" is outside/);
  WorkstationInventorySchema.parse(inv);
});
