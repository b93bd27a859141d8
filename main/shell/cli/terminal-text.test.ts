import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import { runCli } from './program.js';
import { terminalSafe } from './terminal-text.js';

const HOSTILE = 'gpu-\x1b]0;pwned\x07\x1b[2J';
/** Bytes a terminal would act on: any C0 but newline and tab, DEL, C1, bidi overrides and isolates. */
const ACTS_ON = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex -- finding them is the point

test('terminalSafe strips what a terminal obeys and keeps what it shows', () => {
  const cases: Array<[string, string]> = [
    [HOSTILE, 'gpu-]0;pwned[2J'],
    ['a\rb\x00c\x7fd', 'abcd'],
    ['csi\u009b31m red', 'csi31m red'],
    ['evil\u202egpj.exe', 'evilgpj.exe'],
    ['iso\u2066late\u2069d', 'isolated'],
    ['two\nlines\tand a tab', 'two\nlines\tand a tab'],
    ['naïve — ünïcødé ✓ \ufffd', 'naïve — ünïcødé ✓ \ufffd'],
  ];
  for (const [input, shown] of cases) assert.equal(terminalSafe(input), shown, JSON.stringify(input));
});

async function cli(t: TestContext, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-cli-terminal-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(['--data-dir', dataDir, ...args], { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

test('a usage error echoing a hostile argument reaches stderr without its escape sequences', async (t) => {
  const run = await cli(t, ['plan', '--node-file', HOSTILE]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /gpu-\]0;pwned\[2J/, 'the argument is still named');
  assert.doesNotMatch(run.stderr, ACTS_ON);
});

test('`plan --node-file` naming an unknown node with a hostile path: the error line is safe, --json stays JSON', async (t) => {
  const node = `srv\x1b[2J\u202e`;
  const file = `/m/${HOSTILE}.gguf`;
  const plain = await cli(t, ['plan', '--gpus', 'T4', '--node-file', `${node}:${file}`]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /there is no node named "srv\[2J"/);
  assert.doesNotMatch(plain.stderr, ACTS_ON);
  assert.equal(plain.stdout, '');

  const json = await cli(t, ['--json', 'plan', '--gpus', 'T4', '--node-file', `${node}:${file}`]);
  assert.equal(json.code, 1);
  const envelope = JSON.parse(json.stdout) as { ok: false; error: { code: string; message: string } };
  assert.equal(envelope.error.code, 'NOT_FOUND');
  assert.equal(envelope.error.message, `there is no node named "${node}"`, 'JSON carries the exact text, escaped');
  assert.ok(!json.stdout.includes('\x1b'), 'JSON escapes ESC');
  assert.doesNotMatch(json.stderr, ACTS_ON);
});
