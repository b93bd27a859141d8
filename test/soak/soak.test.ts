// The chaos soak's short version, as CI runs it: two minutes of seeded faults on the simulated site (a first
// round of every fault kind always completes), every target met. `npm run soak` is the ten-minute one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { SOAK_FIRST_ADDRESS } from './run-soak.js';

const SOAK_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'soak-main.js');
const unavailable = await sshdFleetUnavailableReason(SOAK_FIRST_ADDRESS);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

test('a two-minute chaos soak of the simulated site meets every target', { skip: unavailable, timeout: 9 * 60_000 }, async (t) => {
  const child = spawn(process.execPath, [SOAK_MAIN, '--minutes', '2', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A timed-out test still takes the whole run down: the soak stops everything it started on SIGTERM.
  t.signal.addEventListener('abort', () => child.kill('SIGTERM'));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  console.log(output.replace(/^/gm, '# '));
  assert.equal(
    code,
    0,
    `the soak missed a target (its figures are above):\n${output
      .split('\n')
      .filter((l) => l.startsWith('✗') || l.startsWith('soak:'))
      .join('\n')}`,
  );
});
