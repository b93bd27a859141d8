import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import test, { type TestContext } from 'node:test';
import { runOutpost } from '../helpers/cli.js';
import { TestClock, hqAndSite, seededBytes, type Installation } from '../helpers/sync.js';

/** A released model exported as a one-medium bundle, with its first chunk's path. */
async function bundleOnMedium(t: TestContext, clock?: TestClock) {
  const pair = await hqAndSite(t, clock);
  const model = path.join(pair.root, 'model.gguf');
  fs.mkdirSync(path.join(pair.root, 'usb'));
  fs.writeFileSync(model, seededBytes(1024 * 1024, 21));
  await pair.hq.call('sync.releaseModel', { path: model, name: 'tiny', version: '1' });
  const bundle = await pair.hq.call('sync.export', { to: path.join(pair.root, 'usb', 'bundle') });
  const chunksDir = path.join(bundle.path, 'chunks');
  return { ...pair, medium: bundle.path, chunk: path.join(chunksDir, fs.readdirSync(chunksDir).sort()[0] as string) };
}

/**
 * Puts `replace(file)` where `file` was for the length of `check`, then puts the original back. A FIFO is
 * opened for writing afterwards too, so a reader that did block (the bug) is let go and the test can end.
 */
async function withReplaced(file: string, replace: (file: string) => Promise<() => void> | (() => void), check: () => Promise<void>): Promise<void> {
  const original = fs.readFileSync(file);
  fs.rmSync(file);
  const undo = await replace(file);
  try {
    await check();
  } finally {
    if (fs.lstatSync(file).isFIFO()) fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
    undo();
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, original);
  }
}

const fifo = (file: string) => {
  execFileSync('mkfifo', [file]);
  return () => undefined;
};
const socketFile = async (file: string) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return () => void server.close();
};
const linkTo = (target: string) => (file: string) => {
  fs.symlinkSync(target, file);
  return () => undefined;
};

/** `promise`, or a failure naming `what` once `ms` have passed (the timer is cleared either way). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Verify and import are each refused within a second with `message`, a hint that says what to do, nothing
 * applied, and the core's event loop free meanwhile: a 10 ms timer never waits more than 200 ms.
 */
async function refusedPromptly(site: Installation, medium: string, message: RegExp): Promise<void> {
  const before = site.state();
  for (const call of ['sync.verify', 'sync.import'] as const) {
    let lastTick = performance.now();
    let longestWait = 0;
    const timer = setInterval(() => {
      longestWait = Math.max(longestWait, performance.now() - lastTick);
      lastTick = performance.now();
    }, 10);
    const started = performance.now();
    try {
      const error = await within(3_000, call, site.refusal(call, { media: [medium] }));
      assert.ok(performance.now() - started < 1_000, `${call} answered in ${Math.round(performance.now() - started)} ms`);
      assert.equal(error.code, 'INVALID_INPUT');
      assert.match(error.message, message, call);
      assert.match(error.hint ?? '', /remove it from the medium/, call);
    } finally {
      clearInterval(timer);
    }
    assert.ok(longestWait < 200, `${call}: the event loop was held for ${Math.round(longestWait)} ms`);
  }
  assert.equal(site.state(), before, 'nothing was applied');
}

test('a FIFO, a socket or a link out of the medium where a bundle file belongs is refused at once, naming the file', async (t) => {
  const { site, medium, chunk } = await bundleOnMedium(t);
  const chunkName = path.basename(chunk);
  const chunkRefusal = (kind: string) => new RegExp(`chunk ${chunkName.slice(0, 12)}… on medium 1 \\(${chunk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is ${kind}, not a plain file`);

  await withReplaced(chunk, fifo, () => refusedPromptly(site, medium, chunkRefusal('a FIFO \\(named pipe\\)')));
  await withReplaced(path.join(medium, 'envelope.json'), fifo, () => refusedPromptly(site, medium, /envelope\.json is a FIFO \(named pipe\), not a plain file/));
  await withReplaced(path.join(medium, 'medium.json'), fifo, () => refusedPromptly(site, medium, /medium\.json is a FIFO \(named pipe\), not a plain file/));
  await withReplaced(chunk, socketFile, () => refusedPromptly(site, medium, chunkRefusal('a socket')));
  await withReplaced(chunk, linkTo('/dev/zero'), () => refusedPromptly(site, medium, chunkRefusal('a symbolic link')));
  await withReplaced(path.join(medium, 'medium.json'), linkTo('/etc/passwd'), () => refusedPromptly(site, medium, /medium\.json is a symbolic link, not a plain file/));

  assert.equal((await site.call('sync.verify', { media: [medium] })).filesVerified, 1, 'with its files back the bundle verifies');
});

test('`outpost bundle verify` and `import` refuse a FIFO on the medium and exit instead of hanging', async (t) => {
  // The CLI reads the real clock: the bundle is made now, so that it has not expired.
  const { site, medium, chunk } = await bundleOnMedium(t, new TestClock(Date.now()));
  for (const [file, args] of [
    [path.join(medium, 'envelope.json'), ['bundle', 'verify', medium]],
    [chunk, ['bundle', 'import', medium]],
  ] as const) {
    await withReplaced(file, fifo, async () => {
      const result = await within(15_000, `outpost ${args.join(' ')}`, runOutpost(['--data-dir', site.dataDir, ...args]));
      assert.notEqual(result.code, 0);
      assert.ok(result.stderr.includes(`${path.basename(file).slice(0, 12)}`) && /is a FIFO \(named pipe\), not a plain file/.test(result.stderr), result.stderr);
      assert.match(result.stderr, /remove it from the medium/);
    });
  }
});
