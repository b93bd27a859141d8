import assert from 'node:assert/strict';
import test from 'node:test';
import { profileFromGguf, readGgufHeader, type ByteSource } from '../../planner/index.js';
import { tinyGguf } from './tiny-gguf.js';

test('the tiny model is a GGUF the planner reads: llama, 4 blocks, 64 wide, the same bytes for the same seed', async () => {
  const file = tinyGguf(7);
  assert.deepEqual(tinyGguf(7), file);
  assert.notDeepEqual(tinyGguf(8), file);
  const source: ByteSource = { size: file.length, read: async (offset, length) => file.subarray(offset, offset + length) };
  const header = await readGgufHeader(source);
  const profile = profileFromGguf(header, 'outpost-tiny');
  assert.equal(profile.layers, 4);
  assert.equal(profile.hiddenSize, 64);
  assert.ok(file.length < 600_000, `${file.length} bytes`);
});
