import assert from 'node:assert/strict';
import test from 'node:test';
import { procLineSamples } from './proc-lines.js';

const line = (user: number, idle: number) => `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0 MemTotal: 16777216 kB MemAvailable: 8388608 kB `;

test('a CPU node’s line gives memory at once and CPU utilisation from the second line on', () => {
  const first = procLineSamples('cpu-box-01', line(1000, 9000), 100, null);
  assert.deepEqual(
    first.samples.map((s) => [s.source, s.metric, s.value]),
    [
      ['node:cpu-box-01', 'mem.used', 8192],
      ['node:cpu-box-01', 'mem.total', 16384],
    ],
  );
  const second = procLineSamples('cpu-box-01', line(1075, 9025), 101, first.counters);
  assert.deepEqual(
    second.samples.find((s) => s.metric === 'cpu.util'),
    { source: 'node:cpu-box-01', metric: 'cpu.util', unit: '%', ts: 101, value: 75 },
  );
  assert.deepEqual(procLineSamples('cpu-box-01', 'garbage', 102, second.counters), { samples: [], counters: second.counters }, 'a line it cannot read changes nothing');
});
