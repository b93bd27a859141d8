import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';
import { startSimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { post } from '../helpers/router.js';
import { snapshot, tempDir } from '../helpers/temp.js';

// The app's core starts its router on OUTPOST_ROUTER_PORT: 0 picks a free port, so parallel test files never collide.
process.env.OUTPOST_ROUTER_PORT = '0';
process.env.OUTPOST_ROUTER_SUPERVISE_INTERVAL_MS = '100';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function caller(core: Core) {
  return async <K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`);
    return envelope.result as CallOutput<K>;
  };
}

/** `outpost router --port 0` in the foreground, as a technician runs it; resolves once it listens. */
function foregroundRouter(t: TestContext, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'router', '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve({ child, url: (JSON.parse(out) as { url: string }).url });
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`outpost router exited with ${code}: ${err}`)));
  });
}

test("one router per data dir: a second is refused naming the holder; a dead holder's lock is taken over", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'router', 'endpoints', 'add', 'gpu-a', 'http://127.0.0.1:9', '--models', 'tiny'])).code, 0);
  const first = await foregroundRouter(t, dataDir);
  const second = await runOutpost(['--data-dir', dataDir, 'router', '--port', '0']);
  assert.equal(second.code, 1);
  assert.equal(second.stderr, `outpost: another router (pid ${first.child.pid}) already serves the data dir ${dataDir} — stop that one first (kill ${first.child.pid}), or use another --data-dir\n`);
  assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first router is undisturbed');

  const lock = path.join(dataDir, 'router', 'router.lock');
  first.child.kill('SIGKILL');
  await until('the first router to die', () => !alive(first.child.pid as number));
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(first.child.pid), 'a killed router leaves its lock behind');
  const third = await foregroundRouter(t, dataDir);
  assert.equal(fs.readFileSync(lock, 'utf8').trim(), String(third.child.pid), 'the stale lock was taken over');
  third.child.kill('SIGTERM');
  await until('the third router to stop', () => third.child.exitCode !== null || third.child.signalCode !== null);
  assert.equal(third.child.exitCode, 0, `exited by ${third.child.signalCode ?? 'its own code'}`);
  assert.ok(!fs.existsSync(lock), 'a router that stops releases its lock');
});

test("the app's core starts the router, restarts it when it dies, journals its retries, and stops it on close", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const broken = await startSimulatedUpstream({ name: 'a-broken', ttftMs: 5, tokensPerSecond: 2000, tokens: 3 });
  const good = await startSimulatedUpstream({ name: 'b-good', ttftMs: 5, tokensPerSecond: 2000, tokens: 3 });
  t.after(() => Promise.all([broken.close(), good.close()]));
  const core = openCore({ dataDir });
  let closed = false;
  t.after(() => {
    if (!closed) core.close();
  });
  const call = caller(core);
  for (const u of [broken, good]) await call('router.endpoints.add', { name: u.name, url: u.url, models: ['tiny'], slots: 4 });
  await call('router.policy.set', { affinityPrefixChars: 0, breakerFailures: 100, probeIntervalMs: 60_000 });
  const { key } = await call('router.keys.add', { app: 'tests' });
  await broken.setFault('http-500');

  assert.equal(core.supervise(), true);
  const first = await until('the supervised router to run', async () => {
    const status = await call('router.status', {});
    return status.running && status.supervised?.state === 'running' ? status : undefined;
  });
  const firstPid = first.supervised?.pid as number;
  assert.equal(first.stats?.pid, firstPid, 'the stats come from the router the app started');
  assert.equal(first.supervised?.restarts, 0);

  // Retries reach the ops journal without anyone asking: the supervisor copies them.
  for (let i = 0; i < 4; i += 1) assert.equal((await post(`${first.supervised?.url}/v1/chat/completions`, key, { model: 'tiny', messages: [{ role: 'user', content: 'hi' }] })).status, 200);
  const journaled = await until('retries in the ops journal', async () => {
    const entries = (await call('system.journal', { limit: 50 })).filter((e) => e.action === 'router.retry');
    return entries.length > 0 ? entries : undefined;
  });
  assert.match(journaled[0]?.detail ?? '', /a-broken failed before the first byte \(HTTP 500\)/);

  process.kill(firstPid, 'SIGKILL');
  const restarted = await until('the router to be restarted', async () => {
    const status = await call('router.status', {});
    return status.supervised?.state === 'running' && status.supervised.pid !== firstPid && status.running && status.stats?.pid === status.supervised.pid ? status : undefined;
  });
  assert.equal(restarted.supervised?.restarts, 1);
  assert.match(restarted.supervised?.lastExit ?? '', /killed by SIGKILL/);
  assert.equal((await post(`${restarted.supervised?.url}/v1/chat/completions`, key, { model: 'tiny', messages: [{ role: 'user', content: 'again' }] })).status, 200);

  const secondPid = restarted.supervised?.pid as number;
  core.close();
  closed = true;
  await until('the router to stop with the core', () => !alive(secondPid));
  assert.ok(!fs.existsSync(path.join(dataDir, 'router', 'router.lock')));
});

test('a router started outside the app is left alone and reported; router.status writes nothing', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  assert.equal((await runOutpost(['--data-dir', dataDir, 'router', 'endpoints', 'add', 'gpu-a', 'http://127.0.0.1:9', '--models', 'tiny'])).code, 0);
  const outside = await foregroundRouter(t, dataDir);
  const core = openCore({ dataDir });
  t.after(() => core.close());
  const call = caller(core);
  assert.equal(core.supervise(), true);
  const status = await until('the supervisor to see the outside router', async () => {
    const s = await call('router.status', {});
    return s.supervised?.state === 'external' ? s : undefined;
  });
  assert.equal(status.supervised?.pid, outside.child.pid);
  assert.equal(status.stats?.pid, outside.child.pid);

  outside.child.kill('SIGTERM');
  await until('the outside router to stop', () => outside.child.exitCode !== null);
  core.close();
  fs.appendFileSync(path.join(dataDir, 'router', 'retries.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), requestId: 'r1', model: 'tiny', failedEndpoint: 'gpu-a', reason: 'ECONNREFUSED', attempt: 1 })}\n`);
  const reader = openCore({ dataDir });
  t.after(() => reader.close());
  const before = snapshot(dataDir);
  const read = await caller(reader)('router.status', {});
  assert.equal(read.retriesPending, 1);
  assert.deepEqual(snapshot(dataDir), before, 'router.status changed no file in the data dir');
  const journal = await caller(reader)('system.journal', { limit: 10 });
  assert.ok(!journal.some((e) => e.action === 'router.retry'), 'a read journals nothing');
});
