import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import test, { type TestContext } from 'node:test';
import type { SyncProgress } from '../../../shared/domain/sync.js';
import { runJob, type ProgressView } from './job.js';
import { CliRuntime } from './runtime.js';

const view: ProgressView<'sync.progress'> = {
  event: 'sync.progress',
  jobId: (p) => p.jobId,
  status: (p) => `${p.phase}: ${p.bytesDone}/${p.bytesTotal}`,
  line: (p) => `${p.phase} begun`,
};

const progress = (jobId: string, phase: SyncProgress['phase'], bytesDone: number): SyncProgress => ({ jobId, phase, bytesDone, bytesTotal: 10, bytesPerSecond: 1, etaSeconds: null });

/** A CLI runtime on a temp data dir whose stdout and stderr are captured; `tty` makes stderr look like a terminal. */
function runtime(t: TestContext, options: { json: boolean; tty: boolean }): { cli: CliRuntime; out: () => string; err: () => string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-cli-job-'));
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty, columns: 14 });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const cli = new CliRuntime(() => ({ dataDir, json: options.json }), stdout, stderr);
  t.after(() => {
    cli.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { cli, out: () => out, err: () => err };
}

const signalListeners = (): number[] => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));

test('on a terminal: one updating status line for this job only, cleared before the result', async (t) => {
  const { cli, out, err } = runtime(t, { json: false, tty: true });
  const result = await runJob(cli, {
    id: 'job-a',
    progress: view,
    what: 'the export',
    run: async () => {
      const events = cli.openCore().events;
      events.emit('sync.progress', progress('job-a', 'export', 4));
      events.emit('sync.progress', progress('someone-else', 'export', 9));
      events.emit('sync.progress', { ...progress('job-a', 'verify', 8), bytesTotal: 10 ** 30 });
      return { done: true };
    },
    human: () => 'exported',
  });
  assert.deepEqual(result, { done: true });
  // 14 columns: a longer status is cut to fit, so `\r` can rewrite it.
  assert.equal(err(), '\r\x1b[2Kexport: 4/10\r\x1b[2Kverify: 8/1e…\r\x1b[2K');
  assert.equal(out(), 'exported\n');
});

test('in a log: a plain line per step, each once, no terminal codes', async (t) => {
  const { cli, err } = runtime(t, { json: false, tty: false });
  await runJob(cli, {
    id: 'job-b',
    progress: view,
    what: 'the export',
    run: async () => {
      const events = cli.openCore().events;
      for (const [phase, done] of [
        ['export', 1],
        ['export', 5],
        ['verify', 1],
      ] as const)
        events.emit('sync.progress', progress('job-b', phase, done));
      return 1;
    },
    human: String,
  });
  assert.equal(err(), 'export begun\nverify begun\n');
});

test('--json: one JSON line per event, then the result on one line', async (t) => {
  const { cli, out, err } = runtime(t, { json: true, tty: true });
  await runJob(cli, {
    id: 'job-c',
    progress: view,
    what: 'the export',
    run: async () => {
      cli.openCore().events.emit('sync.progress', progress('job-c', 'export', 3));
      return { bundle: 7 };
    },
    human: () => 'unused',
  });
  const lines = out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.event, 'sync.progress');
  assert.deepEqual(lines[1], { bundle: 7 });
  assert.equal(err(), '', 'progress goes to stdout only');
  assert.equal(cli.streamsLines, true);
});

test('a stop signal aborts the job, says so, and every listener is removed afterwards', async (t) => {
  const { cli, err } = runtime(t, { json: false, tty: false });
  const before = signalListeners();
  const subscribers = (): number => {
    let count = 0;
    const events = cli.openCore().events;
    const probe = events.subscribe(() => void (count += 1));
    events.emit('sync.progress', progress('nobody', 'export', 0));
    probe();
    return count;
  };
  const outcome = runJob(cli, {
    id: 'job-d',
    progress: view,
    what: 'the import',
    run: (signal) =>
      new Promise((_resolve, reject) => {
        assert.deepEqual(
          signalListeners(),
          before.map((n) => n + 1),
        );
        signal.addEventListener('abort', () => reject(new Error('stopped')));
        process.emit('SIGTERM', 'SIGTERM');
      }),
    human: String,
  });
  await assert.rejects(outcome, /stopped/);
  assert.equal(err(), 'stopping the import… (SIGTERM again exits at once)\n');
  assert.deepEqual(signalListeners(), before);
  assert.equal(subscribers(), 1, 'only the probe itself: the job let go of the event stream');
});
