import assert from 'node:assert/strict';
import test from 'node:test';
import { TrafficSeries } from './traffic.js';

test('each second keeps its requests, errors and TTFT percentiles once a newer second has begun', () => {
  const traffic = new TrafficSeries();
  const second = 1_000_000;
  for (let i = 1; i <= 100; i += 1) traffic.record(second * 1000 + i, { ok: i !== 50, ttftMs: i });
  traffic.record(second * 1000 + 999, { ok: false, ttftMs: null });
  const during = traffic.snapshot(second * 1000 + 999);
  traffic.record((second + 1) * 1000, { ok: true, ttftMs: 7 });
  const after = traffic.snapshot((second + 1) * 1000 + 1);
  assert.deepEqual(during, [{ at: second, requests: 101, errors: 2, ttftP50Ms: 50, ttftP99Ms: 99 }]);
  assert.deepEqual(after, [during[0], { at: second + 1, requests: 1, errors: 0, ttftP50Ms: 7, ttftP99Ms: 7 }]);
});

test('seconds older than two minutes drop out of the snapshot', () => {
  const traffic = new TrafficSeries();
  traffic.record(0, { ok: true, ttftMs: 5 });
  traffic.record(200_000, { ok: true, ttftMs: 6 });
  assert.deepEqual(
    traffic.snapshot(200_500).map((s) => s.at),
    [200],
  );
});
