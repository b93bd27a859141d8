import assert from 'node:assert/strict';
import test from 'node:test';
import type { ModelReleaseEntry } from '../../../shared/domain/models.js';
import { OutpostError } from '../../../shared/errors.js';
import { fileRow, parseModelRef, releaseRows, resolveRelease, unknownModelError } from './model-library.js';

const release = (name: string, version: string, recordVersion: number, path: string | null = `/data/models/${name}${recordVersion}`): ModelReleaseEntry => ({
  name,
  version,
  recordVersion,
  digest: `${recordVersion}`.padEnd(64, '0'),
  sizeBytes: 1000 * recordVersion,
  fileCount: path === null ? 3 : 1,
  signer: 'hq-main',
  releasedAt: null,
  path,
});
const RELEASES = [release('outpost-tiny', '1', 1), release('outpost-tiny', '2', 2), release('big', 'a', 1, null)];

test('a model ref: name@version, a name alone, a path with @ in a folder is a path', () => {
  assert.deepEqual(parseModelRef('outpost-tiny@2'), { name: 'outpost-tiny', version: '2' });
  assert.deepEqual(parseModelRef('outpost-tiny'), { name: 'outpost-tiny', version: null });
  assert.deepEqual(parseModelRef('/home/u@x/m.gguf'), { name: '/home/u@x/m.gguf', version: null });
});

test('a name alone is the newest release; name@version that one; other names are not releases', () => {
  assert.equal(resolveRelease('outpost-tiny', RELEASES)?.version, '2');
  assert.equal(resolveRelease('outpost-tiny@1', RELEASES)?.version, '1');
  assert.equal(resolveRelease('Llama-3.1-8B', RELEASES), null);
  assert.equal(resolveRelease('/models/x.gguf', RELEASES), null);
});

test('an unknown version, or a release that is not one held GGUF file, is refused with what exists', () => {
  assert.throws(
    () => resolveRelease('outpost-tiny@9', RELEASES),
    (e: OutpostError) => e.code === 'NOT_FOUND' && e.message === 'outpost-tiny has no version "9"; HQ released 2, 1' && /outpost-tiny@<version>, one of: 2, 1/.test(e.hint ?? ''),
  );
  assert.throws(
    () => resolveRelease('big', RELEASES),
    (e: OutpostError) => e.code === 'PRECONDITION' && /big@a cannot be planned: a directory of 3 files/.test(e.message),
  );
});

test('an unknown model lists the releases and the catalog', () => {
  const error = unknownModelError('outpost-small', { releases: RELEASES, catalog: ['Llama-3.1-8B'] });
  assert.equal(error.code, 'NOT_FOUND');
  assert.equal(error.message, 'Unknown model "outpost-small": not an HQ release, a catalog model or a .gguf file');
  assert.match(error.hint ?? '', /HQ releases: outpost-tiny@2, outpost-tiny@1, big@a; catalog: Llama-3.1-8B/);
});

test('library rows: releases newest first within a name, with header facts; a plain file by its path', () => {
  const headers = new Map([[RELEASES[1]?.digest as string, { architecture: 'llama', quant: 'Q8_0', layers: 4 }]]);
  const rows = releaseRows(RELEASES, headers);
  assert.deepEqual(
    rows.map((r) => [r.ref, r.newest, r.quant, r.problem]),
    [
      ['big@a', true, null, 'a directory of 3 files, not one GGUF file'],
      ['outpost-tiny@2', true, 'Q8_0', null],
      ['outpost-tiny@1', false, null, 'not read'],
    ],
  );
  assert.equal(rows[1]?.location, `data dir: models/${RELEASES[1]?.digest}`);
  const file = fileRow({ node: 'gpu-1', path: '/m/tiny-Q4_K_M.gguf', sizeBytes: 5, digest: 'ab' }, { problem: 'unreachable' });
  assert.deepEqual([file.name, file.source, file.ref, file.location, file.problem], ['tiny-Q4_K_M', 'node', null, 'gpu-1: /m/tiny-Q4_K_M.gguf', 'unreachable']);
});
