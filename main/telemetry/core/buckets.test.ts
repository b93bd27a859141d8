import assert from 'node:assert/strict';
import test from 'node:test';
import { chartWindow, nextRollupRange, retentionCutoffs, sourceMatches, withEmptyBuckets } from './buckets.js';

const NOW = 1_795_000_000;
const DAY = 86_400;

test('a last-hour chart at 600 points reads raw samples in 10 s buckets aligned to the step', () => {
  const w = chartWindow({ from: NOW - 3600, maxPoints: 600 }, NOW, DAY);
  assert.equal(w.resolution, 'raw');
  assert.equal(w.bucketSeconds, 10);
  assert.equal(w.from % 10, 0);
  assert.ok((w.to - w.from) / w.bucketSeconds <= 601);
});

test('a 72 h chart reads minute rollups with buckets that keep it within maxPoints', () => {
  const w = chartWindow({ from: NOW - 3 * DAY, to: NOW, maxPoints: 1000 }, NOW, DAY);
  assert.equal(w.resolution, 'rollup');
  assert.equal(w.bucketSeconds, 300);
  assert.ok((w.to - w.from) / w.bucketSeconds <= 1001);
});

test('a narrow window older than raw retention still reads rollups, at a minute at least', () => {
  const w = chartWindow({ from: NOW - 2 * DAY, to: NOW - 2 * DAY + 600, maxPoints: 600 }, NOW, DAY);
  assert.equal(w.resolution, 'rollup');
  assert.equal(w.bucketSeconds, 60);
});

test('a window with from after to collapses to an empty window at to', () => {
  const w = chartWindow({ from: NOW, to: NOW - 100, maxPoints: 10 }, NOW, DAY);
  assert.ok(w.from <= w.to);
});

test('rollups advance over complete minutes only, in bounded steps', () => {
  assert.deepEqual(nextRollupRange(0, 600 + 30, 10), { from: 540, to: 600 });
  assert.equal(nextRollupRange(600, 600 + 30, 10), null);
  assert.equal(nextRollupRange(600, 660 + 4, 10), null, 'the minute 600..660 waits for its grace period');
  assert.deepEqual(nextRollupRange(600, 660 + 5, 10), { from: 600, to: 660 });
  assert.deepEqual(nextRollupRange(0 + 60, 60 + 3600 * 5, 30), { from: 60, to: 60 + 1800 }, 'a long backlog goes 30 minutes at a time');
});

test('retention cutoffs follow the configured hours and days', () => {
  assert.deepEqual(retentionCutoffs(NOW, { rawRetentionHours: 24, rollupRetentionDays: 30 }), { raw: NOW - DAY, rollup: NOW - 30 * DAY });
});

test('a source filter is exact, or a prefix when it ends in : or /', () => {
  assert.ok(sourceMatches(undefined, 'gpu:a/0'));
  assert.ok(sourceMatches('gpu:', 'gpu:a/0'));
  assert.ok(sourceMatches('gpu:a/', 'gpu:a/1'));
  assert.ok(!sourceMatches('gpu:a/', 'gpu:ab/1'));
  assert.ok(sourceMatches('node:a', 'node:a'));
  assert.ok(!sourceMatches('node:a', 'node:ab'));
});

test('every bucket of the window is listed once asked for, null where nothing was stored', () => {
  const filled = withEmptyBuckets({ t: [100, 130], min: [1, 3], avg: [2, 4], max: [3, 5] }, { from: 100, to: 159, bucketSeconds: 10 });
  assert.deepEqual(filled.t, [100, 110, 120, 130, 140, 150]);
  assert.deepEqual(filled.avg, [2, null, null, 4, null, null]);
  assert.deepEqual(filled.max, [3, null, null, 5, null, null]);
});
