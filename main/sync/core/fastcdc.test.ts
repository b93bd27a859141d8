import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import test from 'node:test';
import { DEFAULT_CHUNKING, GEAR, StreamingChunker, chunkLengths, type ChunkingParams } from './fastcdc.js';
import { seededBytes } from '../../../test/helpers/sync.js';

const SMALL: ChunkingParams = { minSize: 2 * 1024, averageSize: 8 * 1024, maxSize: 32 * 1024 };

function chunkDigests(data: Buffer, params: ChunkingParams): string[] {
  let offset = 0;
  return chunkLengths(data, params).map((length) => {
    const digest = createHash('sha256')
      .update(data.subarray(offset, offset + length))
      .digest('hex');
    offset += length;
    return digest;
  });
}

test('the gear table is fixed: it is part of the bundle format, so boundaries agree across versions', () => {
  assert.equal(new Set(GEAR).size, 256, 'no repeated words');
  assert.equal(createHash('sha256').update(Buffer.from(GEAR.buffer)).digest('hex'), '885450c8c4dc030c8301998f196da80e3ee4422380c570c8b70bfe7df37bc4ca');
  assert.equal(GEAR[0], 1020716019);
  assert.equal(GEAR[255], 2788661668);
});

test('chunks cover the input exactly and respect the minimum and maximum sizes', () => {
  const data = seededBytes(1024 * 1024, 7);
  const lengths = chunkLengths(data, SMALL);
  assert.equal(
    lengths.reduce((a, b) => a + b, 0),
    data.length,
  );
  lengths.slice(0, -1).forEach((l) => assert.ok(l >= SMALL.minSize && l <= SMALL.maxSize, `chunk of ${l}`));
  const average = data.length / lengths.length;
  assert.ok(average > SMALL.averageSize / 2 && average < SMALL.averageSize * 2, `average ${average} near ${SMALL.averageSize}`);
});

test('an insertion in the middle changes only the chunks around it', () => {
  const data = seededBytes(2 * 1024 * 1024, 11);
  const edited = Buffer.concat([data.subarray(0, 1_000_000), Buffer.from('inserted bytes shift everything after them'), data.subarray(1_000_000)]);
  const before = chunkDigests(data, SMALL);
  const after = new Set(chunkDigests(edited, SMALL));
  const kept = before.filter((d) => after.has(d)).length;
  assert.ok(before.length - kept <= 3, `${before.length - kept} of ${before.length} chunks changed`);
});

test('scattered 1% edits re-chunk into a small fraction of new chunks with the default chunking', () => {
  const data = seededBytes(24 * 1024 * 1024, 5);
  const edited = Buffer.from(data);
  for (let i = 0; i < 8; i += 1) edited.fill(0x41, i * 3 * 1024 * 1024 + 12345, i * 3 * 1024 * 1024 + 12345 + 512);
  const before = new Set(chunkDigests(data, DEFAULT_CHUNKING));
  const changed = chunkDigests(edited, DEFAULT_CHUNKING).filter((d) => !before.has(d)).length;
  assert.ok(changed <= 16, `${changed} new chunks of ${before.size}`);
});

test('the streaming chunker finds the same boundaries whatever the block sizes', () => {
  const data = seededBytes(700 * 1024, 3);
  const expected = chunkLengths(data, SMALL);
  for (const block of [1, 4096, 33_333, 1024 * 1024]) {
    const chunker = new StreamingChunker(SMALL);
    const got: number[] = [];
    let chunkStart = 0;
    for (let offset = 0; offset < data.length; offset += block) {
      for (const cut of chunker.push(data.subarray(offset, offset + block))) {
        got.push(offset + cut - chunkStart);
        chunkStart = offset + cut;
      }
    }
    const last = chunker.end();
    if (last > 0) got.push(last);
    assert.equal(chunkStart + last, data.length);
    assert.deepEqual(got, expected, `block ${block}`);
  }
});

test('bad parameters are refused', () => {
  assert.throws(() => chunkLengths(Buffer.alloc(10), { minSize: 100, averageSize: 3000, maxSize: 9000 }), /power-of-two/);
});
