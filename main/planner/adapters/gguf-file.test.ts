import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { tinyLlamaSpec, writeGguf } from '../../../test/fixtures/gguf/gguf-writer.js';
import { planShards, readGgufFile } from '../index.js';

async function withFile(run: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-gguf-'));
  try {
    const written = writeGguf(tinyLlamaSpec());
    const path = join(dir, 'tiny-Q4_K_M.gguf');
    await writeFile(path, written.header);
    // Extend to the full size with a hole: tensor data is never read, so it need not exist.
    await truncate(path, written.fileSize);
    await run(path, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('reads a GGUF file from disk and plans it', async () => {
  await withFile(async (path) => {
    const profile = await readGgufFile(path);
    assert.equal(profile.layers, 2);
    assert.equal(profile.source, 'gguf');
    const plan = await planShards({ model: path, devices: [{ gpu: 'Jetson-Orin-Nano-8GB' }], context: 1024 });
    assert.equal(plan.feasible, true);
    assert.equal(plan.model.source, 'gguf');
  });
});

test('a quant the file does not have, a missing file, a truncated file', async () => {
  await withFile(async (path, dir) => {
    await assert.rejects(planShards({ model: path, quant: 'Q8_0', devices: [{ gpu: 'L4' }] }), (e: unknown) => e instanceof OutpostError && e.code === 'INVALID_INPUT' && /does not have Q8_0/.test(e.message));
    await assert.rejects(readGgufFile(join(dir, 'missing.gguf')), (e: unknown) => e instanceof OutpostError && e.code === 'NOT_FOUND');
    await truncate(path, 1000);
    await assert.rejects(readGgufFile(path), (e: unknown) => e instanceof OutpostError && e.code === 'INVALID_INPUT' && /truncated/.test(e.message));
    await writeFile(path, 'not a model');
    await assert.rejects(readGgufFile(path), (e: unknown) => e instanceof OutpostError && /Not a GGUF file/.test(e.message));
  });
});
