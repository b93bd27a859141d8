import assert from 'node:assert/strict';
import test from 'node:test';
import { parseSize, planMedia } from './media-plan.js';

test('chunks fill media in order without exceeding the room left beside the manifest', () => {
  const chunks: Array<[string, number]> = [
    ['a', 40],
    ['b', 40],
    ['c', 40],
    ['d', 10],
  ];
  assert.deepEqual(planMedia(chunks, 100, 10), [
    ['a', 'b'],
    ['c', 'd'],
  ]);
  assert.deepEqual(planMedia(chunks, 45, 10), { tooSmall: 50 });
});

test('sizes read as binary units', () => {
  assert.equal(parseSize('32G'), 32 * 1024 ** 3);
  assert.equal(parseSize('1.5M'), 1.5 * 1024 * 1024);
  assert.equal(parseSize('500'), 500);
  assert.equal(parseSize('lots'), null);
  assert.equal(parseSize('0'), null);
});
