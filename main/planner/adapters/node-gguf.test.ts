import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { tempDir } from '../../../test/helpers/temp.js';
import { tinyLlamaSpec, writeGguf } from '../../../test/fixtures/gguf/gguf-writer.js';
import type { RemoteShell } from '../../platform/ssh/index.js';
import { readNodeGgufHeader, windowCommand } from './node-gguf.js';

/** The commands a node would run, run by this machine's own sh: the quoting and the windows are real. */
function localShell(root: string): Pick<RemoteShell, 'exec'> & { commands: number } {
  const shell = {
    commands: 0,
    exec: (command: string, options: { maxBytes?: number }) =>
      new Promise<{ stdout: Buffer; exitCode: number | null; stderr: string }>((resolve) => {
        shell.commands += 1;
        execFile('sh', ['-c', command], { encoding: 'buffer', maxBuffer: (options.maxBytes ?? 2 ** 20) + 1, env: { PATH: process.env.PATH, OUTPOST_PROBE_ROOT: root } }, (error, stdout, stderr) => {
          resolve({ stdout, stderr: stderr.toString(), exitCode: error ? (typeof error.code === 'number' ? error.code : null) : 0 });
        });
      }),
    close: () => undefined,
  };
  return shell;
}

const vocabSpec = (tokens: number) => {
  const spec = tinyLlamaSpec();
  return { ...spec, kv: { ...spec.kv, 'tokenizer.ggml.tokens': { type: 'strings' as const, value: Array.from({ length: tokens }, (_, i) => `token-${i}`) } } };
};

test('a node GGUF header is read through quoted, bounded windows: a hostile name runs nothing, the weights are never read', async (t) => {
  const root = tempDir(t);
  const pwned = path.join(root, 'pwned');
  const name = `/models/it's "odd" $(touch ${pwned}) \`touch ${pwned}\`\n.gguf`;
  // A vocabulary long enough that the header spans several windows.
  const written = writeGguf(vocabSpec(200_000));
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), written.header);
  truncateSync(path.join(root, name), written.fileSize + 512 * 2 ** 20);
  const shell = localShell(root);
  const read = await readNodeGgufHeader(shell, 'box', name);
  assert.equal(read.header.tensors.length, 21);
  assert.equal(read.sizeBytes, written.fileSize + 512 * 2 ** 20);
  assert.ok(read.header.dataOffset > 2 ** 20, 'the header is longer than the first window');
  assert.ok(read.bytesRead <= read.header.dataOffset + 4 * 2 ** 20, `read ${read.bytesRead} bytes for a ${read.header.dataOffset}-byte header`);
  assert.ok(shell.commands >= 2 && shell.commands <= 4, `${shell.commands} round trips`);
  assert.match(read.headerDigest, /^[0-9a-f]{64}$/);
  assert.equal(existsSync(pwned), false);
});

test('node GGUF faults are specific: gone, not a file, past the cap', async (t) => {
  const root = tempDir(t);
  mkdirSync(path.join(root, 'models/dir.gguf'), { recursive: true });
  writeFileSync(path.join(root, 'models/big.gguf'), writeGguf(vocabSpec(200_000)).header);
  const shell = localShell(root);
  await assert.rejects(readNodeGgufHeader(shell, 'box', '/models/none.gguf'), { code: 'NOT_FOUND', message: /box:\/models\/none\.gguf is gone/ });
  await assert.rejects(readNodeGgufHeader(shell, 'box', '/models/dir.gguf'), { code: 'INVALID_INPUT', message: /box:\/models\/dir\.gguf is not a regular file/ });
  await assert.rejects(readNodeGgufHeader(shell, 'box', '/models/big.gguf', { capBytes: 2 ** 20 }), { code: 'INVALID_INPUT', message: /the GGUF header of box:\/models\/big\.gguf runs past 1 MiB; refusing to read more of it/ });
});

test('the window command quotes the path once and reads from a 1-based tail offset', () => {
  assert.match(windowCommand("/m/a'b.gguf", 4096, 100), /f=\$\{OUTPOST_PROBE_ROOT-\}'\/m\/a'\\''b\.gguf'/);
  assert.match(windowCommand('/m/x.gguf', 4096, 100), /tail -c \+4097 "\$f" \| head -c 100$/);
});
