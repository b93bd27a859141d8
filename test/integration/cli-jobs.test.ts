import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import type { ScanResult } from '../../shared/domain/discovery.js';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// A loopback range of its own, away from the sshd fleets on 127.0.0.x.
const RANGE = '127.77.0.0/29';
const LISTENER = '127.77.0.1';

/** A data dir with a site key, and a TCP listener that accepts and never says a word (an SSH handshake to it hangs). */
async function scanSetup(t: TestContext): Promise<{ dataDir: string; port: number }> {
  const dataDir = path.join(tempDir(t), 'data');
  const init = await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'cli-jobs']);
  assert.equal(init.code, 0, init.stderr);
  const silent = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, LISTENER, resolve));
  t.after(() => {
    silent.close();
  });
  return { dataDir, port: (silent.address() as AddressInfo).port };
}

const jsonLines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .trim()
    .split('\n')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${line}`);
      }
    });

test('discover --json: one JSON line per progress event on stdout, the result last; without --json, a log line per host that answered', async (t) => {
  const { dataDir, port } = await scanSetup(t);
  const run = await runOutpost(['--data-dir', dataDir, '--json', 'discover', RANGE, '--port', String(port), '--user', 'nobody', '--timeout', '300']);
  assert.equal(run.code, 0, run.stderr);
  const lines = jsonLines(run.stdout);
  const result = lines.at(-1) as unknown as ScanResult;
  assert.equal(result.outcome, 'completed');
  assert.equal(result.counts.total, 6, 'the hosts of a /29');
  assert.deepEqual(
    result.hosts.map((h) => [h.address, h.outcome]),
    [[LISTENER, 'timeout']],
  );
  const events = lines.slice(0, -1);
  assert.ok(events.length >= 1, 'progress came as events');
  for (const event of events) {
    assert.equal(event.event, 'discovery.scanProgress');
    assert.equal((event.payload as { scanId: string }).scanId, result.scanId, 'only this scan');
  }

  const plain = await runOutpost(['--data-dir', dataDir, 'discover', RANGE, '--port', String(port), '--user', 'nobody', '--timeout', '300']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, new RegExp(`^-  ${LISTENER.replace(/\./g, '\\.')}:${port}  timeout  no SSH handshake within 300 ms[^\n\r\x1b]*\n$`), 'one line for the host that answered; dead addresses stay quiet; no terminal codes in a log');
  assert.match(plain.stdout, /^Scanned 6 address\(es\)/);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a long scan cancels it: CANCELLED, exit 1, promptly, and stdout stays JSON lines`, async (t) => {
    const { dataDir, port } = await scanSetup(t);
    const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'discover', RANGE, '--port', String(port), '--user', 'nobody', '--timeout', '60000'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // The dead addresses are done at once; the listener holds the scan in its SSH handshake.
    const deadline = Date.now() + 20_000;
    while (!stdout.includes('"event":"discovery.scanProgress"')) {
      assert.ok(Date.now() < deadline, `the scan did not get going: ${stdout} ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const sent = Date.now();
    child.kill(signal);
    const code = await exited;
    assert.ok(Date.now() - sent < 5_000, 'it stops at once rather than waiting out the 60 s handshake limit');
    assert.equal(code, 1, stderr);
    const lines = jsonLines(stdout);
    const envelope = lines.at(-1) as { ok: boolean; error: { code: string; message: string } };
    assert.deepEqual([envelope.ok, envelope.error.code], [false, 'CANCELLED']);
    assert.equal((lines.at(-2) as unknown as ScanResult).outcome, 'cancelled', 'the partial result comes before the error');
    assert.match(stderr, /^stopping the scan… \((Ctrl-C|SIGTERM) again exits at once\)$/m);
    assert.match(stderr, /^outpost: the scan was cancelled; 0 host\(s\) finished before it and are stored — run the same discover again/m);
  });
}
