import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { readGgufFile, readGgufHeader, type ByteSource } from '../../main/planner/index.js';
import { readGgufHeaderFromFile } from '../../main/planner/adapters/gguf-file.js';
import { REPO_ROOT } from '../helpers/cli.js';

// A GGUF written by llama.cpp's own tools: the vocab-only Llama SPM model that ships with the pinned llama.cpp
// source, cached beside the engine by scripts/install-engine.sh (which the setup runs).
function engineVocabFile(): string {
  const bin = execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-engine.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop() as string;
  return path.join(path.dirname(bin), 'ggml-vocab-llama-spm.gguf');
}

test('the GGUF reader parses a real llama.cpp-produced file: metadata, a 32k-token vocabulary stepped over', async () => {
  const file = engineVocabFile();
  assert.ok(fs.existsSync(file), `${file} is missing: run scripts/install-engine.sh`);
  const header = await readGgufHeaderFromFile(file);
  assert.equal(header.metadata.get('general.architecture'), 'llama');
  assert.equal(header.metadata.get('llama.block_count'), 32);
  // A long array is stepped over and kept as its length: bounded memory whatever the vocabulary.
  const tokens = header.metadata.get('tokenizer.ggml.tokens') as { length: number } | undefined;
  assert.equal(tokens?.length, 32000);
  assert.equal(header.metadata.get('tokenizer.ggml.model'), 'llama');
  assert.equal(header.tensors.length, 0, 'a vocab-only file has no tensors');
  assert.ok(header.version === 2 || header.version === 3);
});

test('planning a vocab-only GGUF is refused with a reason, not a crash', async () => {
  await assert.rejects(readGgufFile(engineVocabFile()), (error: { code?: string; message?: string }) => {
    assert.ok(error.code === 'INVALID_INPUT' || error.code === 'NOT_FOUND', String(error.message));
    assert.match(String(error.message), /tensor|layer|weights|block/i);
    return true;
  });
});

test('a real GGUF cut short anywhere in its header is refused as truncated', async () => {
  const bytes = fs.readFileSync(engineVocabFile());
  for (const cut of [3, 23, 1000, 200_000, Math.floor(bytes.length / 2)]) {
    const source: ByteSource = { size: cut, read: async (offset, length) => bytes.subarray(offset, Math.min(cut, offset + length)) };
    await assert.rejects(readGgufHeader(source), /truncat|short|end of file|not a GGUF/i, `cut at ${cut}`);
  }
});
