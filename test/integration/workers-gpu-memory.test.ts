import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { GPU_MEMORY_QUERY, gpuMemoryUsed } from '../../main/workers/core/actuals.js';
import { fakeTools } from '../fixtures/simulated-site/fake-tools.js';
import { SITE_PROFILES } from '../fixtures/simulated-site/profiles.js';

const MiB = 1024 * 1024;

/** Runs the query plan vs actual sends a host, with only that host's simulated tools (and awk) on the PATH. */
function query(t: test.TestContext, profile: keyof typeof SITE_PROFILES): Map<number, number> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'outpost-gpu-memory-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  const tools = fakeTools(profile, SITE_PROFILES[profile] as (typeof SITE_PROFILES)[string], root);
  if (tools['nvidia-smi']) writeFileSync(path.join(bin, 'nvidia-smi'), tools['nvidia-smi'], { mode: 0o755 });
  // awk alone is linked in: a real nvidia-smi beside it in /usr/bin must not answer for a CPU box.
  symlinkSync(execFileSync('sh', ['-c', 'command -v awk'], { encoding: 'utf8' }).trim(), path.join(bin, 'awk'));
  return gpuMemoryUsed(execFileSync('/bin/sh', ['-c', GPU_MEMORY_QUERY], { encoding: 'utf8', env: { PATH: bin } }));
}

test('nvidia-smi\'s memory used per GPU, as the simulated hosts print it; nothing from a CPU box or a broken driver ("not measured")', (t) => {
  const a100 = SITE_PROFILES['a100-server']?.nvidia;
  assert.ok(a100 && 'gpus' in a100);
  assert.deepEqual(
    [...query(t, 'a100-server')],
    a100.gpus.map((g, i) => [i, g.memoryUsedMiB * MiB]),
  );
  assert.equal(query(t, 'cpu-box').size, 0);
  assert.equal(query(t, 'driver-broken').size, 0);
});
