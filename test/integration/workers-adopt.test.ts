// The long-lived core that supervises a real deployment is killed outright (kill -9), and a new one starts: it
// adopts the running workers as they are (same pids, nothing restarted, still ready), its killed predecessor's
// router child is gone, and a leftover process of this data dir for a deployment that no longer runs is stopped.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';
import { descendantsOf, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 152; // this file's loopback block: 127.0.0.152–153
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

/** `outpost service run` supervising the data dir, as its own process; resolves once it serves. */
async function supervisingCore(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'service', 'run', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, OUTPOST_SUPERVISE_INTERVAL_MS: '300', OUTPOST_ROUTER_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString('utf8')));
  await until('outpost service run serving', () => (child.exitCode !== null ? Promise.reject(new Error('outpost service run exited')) : out.includes('"url"')), 30_000);
  return child;
}

const running = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('a new core adopts the workers a killed core supervised, and stops the leftovers of a deployment that no longer runs', { skip: unavailable, timeout: 300_000 }, async (t) => {
  const bench = await startWorkersBench({ firstAddress: FIRST, seed: 23, profiles: { 'ad-a': cpuWorkerProfile('adopt-a'), 'ad-b': cpuWorkerProfile('adopt-b') } });
  const cores: ChildProcess[] = [];
  t.after(async () => {
    for (const core of cores) core.kill('SIGKILL');
    for (const d of await bench.call('workers.list', { all: false }).catch(() => [])) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    await bench.close();
  });
  const nodes = await bench.nodeNames();
  const deployment = await bench.call('workers.launch', { planId: await bench.plan(nodes), user: bench.site.user, port: 18400 + (process.pid % 90) });
  assert.equal(deployment.state, 'ready');
  const pids = taggedProcesses(deployment.id).sort();
  const stored = deployment.workers.map((w) => [w.name, w.pid]);

  const first = await supervisingCore(bench.dataDir);
  cores.push(first);
  await sleep(1_500);
  const routerChild = descendantsOf(first.pid as number);
  first.kill('SIGKILL');
  await until('the killed core to be gone', () => first.exitCode !== null || first.signalCode !== null);

  // What an earlier run of this data dir left for a deployment the store no longer runs: the next core stops it.
  const owner = readFileSync(path.join(bench.dataDir, 'workers-owner'), 'utf8').trim();
  const loginUid = Number(execFileSync('id', ['-u', bench.site.user], { encoding: 'utf8' }).trim());
  const leftover = spawn('sleep', ['300'], { env: { PATH: process.env.PATH, OUTPOST_WORKER: 'dep-gone/head', OUTPOST_OWNER: owner }, uid: loginUid, gid: loginUid, detached: true, stdio: 'ignore' });
  leftover.unref();
  const foreign = spawn('sleep', ['300'], { env: { PATH: process.env.PATH, OUTPOST_WORKER: 'dep-gone/head', OUTPOST_OWNER: `${owner}0` }, uid: loginUid, gid: loginUid, detached: true, stdio: 'ignore' });
  foreign.unref();
  t.after(() => foreign.kill('SIGKILL'));

  const second = await supervisingCore(bench.dataDir);
  cores.push(second);
  await until('the leftover stopped', () => !running(leftover.pid as number), 30_000);
  await sleep(2_000); // several supervision rounds
  assert.deepEqual(taggedProcesses(deployment.id).sort(), pids, 'the same worker processes, none restarted');
  const now = await bench.call('workers.list', { all: false });
  assert.equal(now.find((d) => d.id === deployment.id)?.state, 'ready');
  assert.deepEqual(
    now.find((d) => d.id === deployment.id)?.workers.map((w) => [w.name, w.pid]),
    stored,
  );
  assert.ok(running(foreign.pid as number), "another data dir's process is never touched");
  const adopted = await until('the router to be adopted', async () => {
    const status = await bench.call('router.status', {});
    return status.supervised?.state === 'running' && status.supervised.supervisorPid === second.pid && routerChild.includes(status.supervised.pid ?? -1) ? status.supervised : undefined;
  });
  assert.ok(running(adopted.pid as number), "the killed core's router kept serving, and the new core adopted it as it was");
  const journal = await bench.call('system.journal', { limit: 100 });
  assert.ok(!journal.some((e) => e.action === 'workers.restart' && JSON.stringify(e.input).includes(deployment.id)), 'nothing was restarted');
  const stopped = journal.find((e) => e.action === 'workers.orphan-stopped');
  assert.ok(stopped, 'the leftover was journaled');
  assert.match(JSON.stringify(stopped.input), /dep-gone/);
  second.kill('SIGTERM');
  await until('the second core to exit', () => second.exitCode !== null || second.signalCode !== null, 20_000);
  assert.ok(!running(adopted.pid as number), 'the adopted router stops with the core that adopted it');
});
