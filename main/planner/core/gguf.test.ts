import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../../shared/errors.js';
import { ggmlType, ggmlTypeByName, tensorBytes } from './ggml-types.js';
import { readGgufHeader } from './gguf-header.js';
import { profileFromGguf } from './gguf-profile.js';
import { patchU64, sparseSource, tinyLlamaSpec, writeGguf, type GgufSpec } from '../../../test/fixtures/gguf/gguf-writer.js';

const read = async (spec: GgufSpec) => {
  const written = writeGguf(spec);
  return readGgufHeader(sparseSource(written.header, written.fileSize));
};

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OutpostError, `expected OutpostError, got ${String(error)}`);
    assert.equal(error.code, 'INVALID_INPUT');
    assert.match(error.message, pattern);
    assert.ok((error.hint ?? '').length > 0, 'a hint says what to do');
    return true;
  });
}

test('exact bytes per tensor for every ggml type, K-quants included', () => {
  const expected: Record<string, [number, number]> = {
    F32: [1, 4],
    F16: [1, 2],
    BF16: [1, 2],
    Q4_0: [32, 18],
    Q4_1: [32, 20],
    Q5_0: [32, 22],
    Q5_1: [32, 24],
    Q8_0: [32, 34],
    Q2_K: [256, 84],
    Q3_K: [256, 110],
    Q4_K: [256, 144],
    Q5_K: [256, 176],
    Q6_K: [256, 210],
    Q8_K: [256, 292],
    IQ2_XXS: [256, 66],
    IQ2_XS: [256, 74],
    IQ3_XXS: [256, 98],
    IQ1_S: [256, 50],
    IQ4_NL: [32, 18],
    IQ3_S: [256, 110],
    IQ2_S: [256, 82],
    IQ4_XS: [256, 136],
    IQ1_M: [256, 56],
    TQ1_0: [256, 54],
    TQ2_0: [256, 66],
  };
  for (const [name, [block, bytes]] of Object.entries(expected)) {
    const type = ggmlTypeByName(name);
    assert.ok(type, name);
    assert.equal(tensorBytes(type, [block * 4, 3, 2]), bytes * 4 * 6, name);
  }
  // A 70B attention projection: 8192×8192 in Q4_K is 8192·8192/256 blocks of 144 bytes.
  assert.equal(tensorBytes(ggmlTypeByName('Q4_K')!, [8192, 8192]), 37_748_736);
  assert.equal(tensorBytes(ggmlTypeByName('Q6_K')!, [100, 2]), null, 'a row that is not whole blocks is refused');
  assert.equal(ggmlType(4), undefined, 'removed type ids are unknown');
});

for (const version of [2, 3]) {
  test(`GGUF v${version}: metadata, tensor infos, per-block and end bytes of a k-quant mix`, async () => {
    const spec = tinyLlamaSpec({ version });
    const written = writeGguf(spec);
    const source = sparseSource(written.header, written.fileSize);
    const header = await readGgufHeader(source);
    assert.equal(header.version, version);
    assert.equal(header.tensors.length, spec.tensors.length);
    for (const t of header.tensors) assert.equal(t.bytes, written.tensorBytes.get(t.name), t.name);
    assert.ok(source.bytesRead < written.header.length + 70_000, `read ${source.bytesRead} bytes: header only, never weights`);
    const tokens = header.metadata.get('tokenizer.ggml.tokens');
    assert.ok(typeof tokens === 'object' && !(typeof tokens === 'bigint') && tokens.length === 1000 && tokens.values === undefined, 'long arrays are counted, not kept');

    const profile = profileFromGguf(header, 'fallback');
    const q4 = (n: number) => (n / 256) * 144;
    const q6 = (n: number) => (n / 256) * 210;
    const common = 256 * 4 * 2 + q4(256 * 256) * 2 + q4(256 * 128) + q4(256 * 512) * 2;
    const block0 = common + q6(256 * 128) + q6(512 * 256);
    const block1 = common + q4(256 * 128) + q4(512 * 256);
    assert.equal(profile.name, 'tiny-llama');
    assert.equal(profile.quantization, 'Q4_K_M');
    assert.equal(profile.layers, 2);
    assert.equal(profile.layerBytes, block0, 'the heaviest block is charged');
    assert.equal(profile.layerBytesMin, block1);
    assert.equal(profile.embeddingBytes, q4(256 * 1000));
    assert.equal(profile.outputBytes, q6(256 * 1000) + 256 * 4);
    assert.equal(profile.vocabSize, 1000);
    assert.equal(profile.kvHeads, 2);
    assert.equal(profile.headDim, 64);
    assert.equal(profile.maxContext, 2048);
    assert.equal(
      profile.totalBytes,
      [...written.tensorBytes.values()].reduce((a, b) => a + b, 0),
    );
  });
}

test('tied embeddings: the head is a duplicate of token_embd on the last stage', async () => {
  const profile = profileFromGguf(await read(tinyLlamaSpec({ tied: true })), 'x');
  assert.equal(profile.outputBytes, ((256 * 1000) / 256) * 144 + 256 * 4);
});

test('bad GGUF input: each refused with a specific INVALID_INPUT', async () => {
  const good = writeGguf(tinyLlamaSpec());
  await rejects(readGgufHeader(sparseSource(new TextEncoder().encode('PK\u0003\u0004 not a model at all'), 30)), /Not a GGUF file/);
  await rejects(readGgufHeader(sparseSource(new Uint8Array([0x47, 0x47]), 2)), /Not a GGUF file/);
  for (const cut of [10, 30, 200, good.header.length - 5]) {
    await rejects(readGgufHeader(sparseSource(good.header.subarray(0, cut), cut)), /truncated/);
  }
  await rejects(readGgufHeader(sparseSource(good.header, good.fileSize - 100)), /truncated: tensor/);
  await rejects(read({ ...tinyLlamaSpec(), version: 1 }), /version 1/);
  await rejects(read({ ...tinyLlamaSpec(), version: 99 }), /Unknown GGUF version 99/);
  await rejects(read({ ...tinyLlamaSpec(), magic: 'GGML' }), /magic/);
  await rejects(read({ ...tinyLlamaSpec(), tensorCountOverride: 1n << 40n }), /tensor count .* above the limit/);
  await rejects(read({ ...tinyLlamaSpec(), kvCountOverride: 1n << 62n }), /metadata key count .* above the limit/);
  // First key's length sits right after magic, version and the two counts.
  const longString = patchU64(good.header, 24, 1n << 50n);
  await rejects(readGgufHeader(sparseSource(longString, good.fileSize)), /length is .* above the limit/);
  const array = writeGguf({ kv: { a: { type: 'strings', value: ['x'] } }, tensors: [] });
  const longArray = patchU64(array.header, 8 + 8 + 8 + 8 + 1 + 4 + 4, 1n << 45n);
  await rejects(readGgufHeader(sparseSource(longArray, 1 << 20)), /array length of a is .* above the limit/);
  await rejects(read({ kv: {}, tensors: [{ name: 'x', dims: [32, 1, 1, 1, 1], type: 'F32' }] }), /5 dimensions/);
  await rejects(read({ kv: {}, tensors: [{ name: 'x', dims: [32], type: 4 }] }), /unknown ggml type 4/);
  const one = writeGguf({ kv: {}, tensors: [{ name: 'x', dims: [32], type: 'F32' }] });
  await rejects(readGgufHeader(sparseSource(patchU64(one.header, 24 + 8 + 1 + 4, 1n << 41n), 1 << 20)), /dimension of x is .* above the limit/);
});

test('unsupported architecture and inconsistent files are refused with what is supported', async () => {
  const bert = await read(tinyLlamaSpec({ arch: 'bert' }));
  assert.throws(
    () => profileFromGguf(bert, 'x'),
    (e: unknown) => e instanceof OutpostError && e.code === 'INVALID_INPUT' && /"bert" is not supported/.test(e.message) && /llama/.test(e.hint ?? ''),
  );
  const spec = tinyLlamaSpec();
  const outside = await read({ ...spec, kv: { ...spec.kv, 'llama.block_count': { type: 'u32', value: 1 } } });
  assert.throws(() => profileFromGguf(outside, 'x'), /outside the 1 blocks/);
  const noArch = await read({ ...spec, kv: { 'general.name': { type: 'string', value: 'n' } } });
  assert.throws(() => profileFromGguf(noArch, 'x'), /no general.architecture/);
});
