import assert from 'node:assert/strict';
import test from 'node:test';
import { linesAfter } from './log-follow.js';

test('new lines are those after the overlap with the previous window', () => {
  assert.deepEqual(linesAfter(['a', 'b', 'c'], ['b', 'c', 'd', 'e']), { lines: ['d', 'e'], gap: false });
  assert.deepEqual(linesAfter(['a', 'b'], ['a', 'b']), { lines: [], gap: false });
  assert.deepEqual(linesAfter([], ['x']), { lines: ['x'], gap: false });
});

test('repeated lines are neither skipped nor printed twice', () => {
  // The old rule (resume after the last copy of the previous last line) would print nothing here.
  assert.deepEqual(linesAfter(['slot 0: ok', 'tick', 'tick'], ['tick', 'tick', 'request', 'tick']), { lines: ['request', 'tick'], gap: false });
  assert.deepEqual(linesAfter(['tick'], ['tick', 'tick']), { lines: [], gap: false });
  assert.deepEqual(linesAfter(['x', 'tick'], ['x', 'tick', 'tick']), { lines: ['tick'], gap: false });
});

test('a window with no overlap (rotation, or more new lines than a window) is all new and flags the gap', () => {
  assert.deepEqual(linesAfter(['a', 'b'], ['c', 'd']), { lines: ['c', 'd'], gap: true });
});
