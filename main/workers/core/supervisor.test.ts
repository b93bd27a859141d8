import assert from 'node:assert/strict';
import test from 'node:test';
import { FakeLock, fakeWorkers } from '../../../test/helpers/workers-fakes.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';

const BASE_MS = 1000;
const CAP_MS = 4000;
const STABLE_MS = 60_000;

/** A ready deployment on the fake site, and a supervisor over it whose rounds the test runs one by one. */
async function supervised(lock = new FakeLock()) {
  const w = fakeWorkers();
  await w.launch();
  const options: SupervisorOptions = {
    intervalMs: 2000,
    backoffBaseMs: BASE_MS,
    backoffCapMs: CAP_MS,
    unhealthyLimit: 3,
    stableMs: STABLE_MS,
    lock,
    clock: w.clock,
    head: w.head,
    log: () => undefined,
  };
  const supervisor = new Supervisor(w.service, options);
  const mark = (): number => w.site.commands.length;
  const backoffs = (): number[] => (w.db.prepare('SELECT backoff_ms FROM worker_restarts ORDER BY id').all() as Array<{ backoff_ms: number }>).map((r) => r.backoff_ms);
  return { ...w, supervisor, options, mark, backoffs, state: () => w.service.get('dep-test1').state };
}

test('a dead head is restarted alone: its RPC members and tunnel keep running', async () => {
  const s = await supervised();
  s.site.kill('head');
  const from = s.mark();
  await s.supervisor.round();
  assert.deepEqual(s.site.since(from, /start|stop/), ['a: stop head', 'a: start head']);
  assert.equal(s.state(), 'ready');
  assert.equal(s.routes.get('dep-test1'), s.service.get('dep-test1').apiUrl);
  assert.deepEqual(
    s.service.get('dep-test1').workers.map((w) => [w.name, w.restarts]),
    [
      ['rpc-1', 0],
      ['tunnel-1', 0],
      ['head', 1],
    ],
  );
  assert.equal(s.journal.at(-1)?.action, 'workers.restart');
});

for (const dead of ['rpc-1', 'tunnel-1']) {
  test(`a dead ${dead} restarts the whole pipeline, in start order`, async () => {
    const s = await supervised();
    s.site.kill(dead);
    const from = s.mark();
    await s.supervisor.round();
    assert.deepEqual(s.site.since(from, /start/), ['b: start rpc-1', 'a: start tunnel-1', 'a: start head']);
    assert.deepEqual(s.site.aliveNames(), ['head', 'rpc-1', 'tunnel-1']);
    assert.equal(s.state(), 'ready');
    assert.ok(s.service.get('dep-test1').workers.every((w) => w.restarts === 1));
  });
}

test('an unreachable host marks the deployment degraded without restarting anything; ready again once it answers', async () => {
  const s = await supervised();
  s.site.unreachable.add('b');
  const from = s.mark();
  await s.supervisor.round();
  assert.deepEqual(s.site.since(from, /start|stop/), []);
  const degraded = s.service.get('dep-test1');
  assert.equal(degraded.state, 'degraded');
  assert.equal(degraded.detail, 'cannot reach b over SSH');
  assert.equal(degraded.workers.find((w) => w.name === 'rpc-1')?.state, 'down');
  assert.equal(s.routes.has('dep-test1'), false);
  s.site.unreachable.delete('b');
  await s.supervisor.round();
  assert.equal(s.state(), 'ready');
  assert.ok(s.routes.has('dep-test1'));
  assert.deepEqual(s.backoffs(), []);
});

test('restart backoff doubles from the base up to the cap; no attempt before its time', async () => {
  const s = await supervised();
  s.site.failStart.add('head');
  s.site.kill('head');
  await s.supervisor.round();
  assert.match(s.service.get('dep-test1').detail ?? '', /^restart failed \(starting head failed on a .*\); next try in 1 s$/);
  for (const wait of [BASE_MS, 2 * BASE_MS, CAP_MS, CAP_MS]) {
    s.clock.advance(wait - 1);
    await s.supervisor.round();
    s.clock.advance(1);
    await s.supervisor.round();
  }
  assert.deepEqual(s.backoffs(), [1000, 2000, 4000, 4000, 4000]);
  assert.equal(s.state(), 'degraded');
});

test('a wall clock stepped back an hour does not hold restarts back: backoff is measured on the monotonic clock', async () => {
  const s = await supervised();
  s.site.kill('head');
  await s.supervisor.round();
  assert.equal(s.state(), 'ready', 'the first restart, at once');
  s.clock.stepWallClock(-3_600_000);
  s.site.kill('rpc-1');
  s.clock.advance(BASE_MS);
  await s.supervisor.round();
  assert.equal(s.state(), 'ready', 'restarted after its backoff, not an hour later');
  assert.ok(s.site.aliveNames().includes('rpc-1'), 'rpc-1 runs again');
  assert.deepEqual(s.backoffs(), [BASE_MS, 2 * BASE_MS, 2 * BASE_MS, 2 * BASE_MS], 'the head alone, then the pipeline as a unit, one step of backoff later');
  assert.equal(s.journal.filter((e) => e.action === 'workers.restart').length, 2);
});

test('a deployment ready for the stable period has its backoff reset', async () => {
  const s = await supervised();
  s.site.failStart.add('head');
  s.site.kill('head');
  await s.supervisor.round();
  s.clock.advance(BASE_MS);
  await s.supervisor.round();
  s.site.failStart.delete('head');
  s.clock.advance(2 * BASE_MS);
  await s.supervisor.round();
  assert.equal(s.state(), 'ready');
  assert.deepEqual(s.backoffs(), [1000, 2000, 4000]);

  // Dead again soon: the backoff goes on from where it was.
  s.clock.advance(CAP_MS);
  s.site.kill('head');
  await s.supervisor.round();
  assert.deepEqual(s.backoffs().at(-1), 4000);

  // Ready for longer than the stable period: the next failure starts from the base again.
  s.clock.advance(STABLE_MS + 1);
  await s.supervisor.round();
  s.site.kill('head');
  await s.supervisor.round();
  assert.deepEqual(s.backoffs().at(-1), BASE_MS);
});

test('a head alive but failing its health check restarts the pipeline after the limit of rounds', async () => {
  const s = await supervised();
  s.head.unhealthy = true;
  const from = s.mark();
  await s.supervisor.round();
  await s.supervisor.round();
  assert.deepEqual(s.site.since(from, /start/), []);
  // The restarted head answers again.
  s.site.beforeCommand = (_node, what) => {
    if (what === 'start head') s.head.unhealthy = false;
  };
  await s.supervisor.round();
  assert.deepEqual(s.site.since(from, /start/), ['b: start rpc-1', 'a: start tunnel-1', 'a: start head']);
  assert.equal(s.state(), 'ready');
});

test('a Stop that wins the race against a restart stops what the restart started', async () => {
  const s = await supervised();
  s.site.kill('head');
  s.site.beforeCommand = async (_node, what) => {
    if (what !== 'start head') return;
    s.site.beforeCommand = () => undefined;
    // The Stop runs to its end while the restart's start of the head is on its way.
    await s.service.stop('dep-test1');
  };
  await s.supervisor.round();
  assert.equal(s.state(), 'stopped');
  assert.deepEqual(s.site.aliveNames(), []);
  assert.equal(s.routes.has('dep-test1'), false);
});

test('the lock lets one supervisor run per data dir; a stopped one releases it', async () => {
  const lock = new FakeLock();
  const first = await supervised(lock);
  assert.equal(first.supervisor.start(), true);
  assert.equal(first.clock.pending, 1, 'its first round is scheduled');
  const second = new Supervisor(first.service, first.options);
  assert.equal(second.start(), false);
  assert.equal(first.clock.pending, 1, 'the refused one schedules nothing');
  first.supervisor.stop();
  assert.equal(first.clock.pending, 0);
  assert.equal(second.start(), true);
  second.stop();
});

test('a new supervisor adopts the running workers as they are: nothing is started or stopped, the pids stay', async () => {
  const s = await supervised();
  const pids = s.site.pidsOf('dep-test1');
  const stored = s.service.get('dep-test1').workers.map((w) => w.pid);
  // A second core, after the first ended without stopping anything.
  const next = new Supervisor(s.service, { ...s.options, lock: new FakeLock() });
  const from = s.mark();
  await next.round();
  assert.deepEqual(s.site.since(from, /start|stop/), []);
  assert.deepEqual(s.site.pidsOf('dep-test1'), pids);
  assert.deepEqual(
    s.service.get('dep-test1').workers.map((w) => w.pid),
    stored,
  );
  assert.equal(s.state(), 'ready');
  assert.ok(!s.journal.some((e) => e.action === 'workers.restart' || e.action === 'workers.orphan-stopped'));
});

test("a new supervisor stops what earlier runs left for deployments no longer running, and only its own data dir's", async () => {
  const s = await supervised();
  await s.service.launch({ planId: 'plan-test1', engine: 'llama.cpp', port: 8282, rpcTransport: 'ssh', threads: 1, deploymentId: 'dep-gone' }, undefined);
  await s.service.stop('dep-gone');
  // Left behind: a head of the stopped deployment (its Stop could not reach the host), a worker of a deployment
  // the store never heard of, and a worker another data dir started on the same host.
  const stoppedHead = s.site.plant('a', 'dep-gone', 'head');
  const unknown = s.site.plant('b', 'dep-unknown', 'rpc-1');
  const foreign = s.site.plant('a', 'dep-elsewhere', 'head', 'another-owner');
  s.site.authorizedKeys.set('b', [...(s.site.authorizedKeys.get('b') ?? []), 'restrict … outpost-deployment:dep-unknown']);
  const live = s.site.pidsOf('dep-test1');
  const liveKeys = s.site.authorizedKeys.get('b')?.filter((line) => line.includes('outpost-deployment:dep-test1'));
  assert.ok(liveKeys?.length, 'the running deployment has its tunnel key on b');
  await new Supervisor(s.service, { ...s.options, lock: new FakeLock() }).round();
  assert.deepEqual(s.site.pidsOf('dep-gone'), []);
  assert.deepEqual(s.site.pidsOf('dep-unknown'), []);
  assert.deepEqual(s.site.pidsOf('dep-elsewhere'), [foreign]);
  assert.deepEqual(s.site.pidsOf('dep-test1'), live, 'the running deployment is adopted, not swept');
  assert.deepEqual(s.site.authorizedKeys.get('b'), liveKeys, "the unknown deployment's tunnel key went with its process; the running one's stays");
  const stopped = s.journal.filter((e) => e.action === 'workers.orphan-stopped').map((e) => e.input as { node: string; deployment: string; pid: number });
  assert.deepEqual(stopped.map((e) => [e.node, e.deployment, e.pid]).sort(), [
    ['a', 'dep-gone', stoppedHead],
    ['b', 'dep-unknown', unknown],
  ]);
  assert.equal(s.state(), 'ready');
});

test('a launch stops leftovers of an earlier run on its hosts before preflight reads their ports', async () => {
  const s = await supervised();
  await s.service.stop('dep-test1');
  // The stopped deployment's head kept running (its host was out of reach during the Stop) and holds the API port.
  s.site.plant('a', 'dep-test1', 'head', undefined, 8181);
  const again = await s.launch('dep-test2');
  assert.equal(again.state, 'ready');
  assert.deepEqual(s.site.pidsOf('dep-test1'), []);
  assert.ok(s.journal.some((e) => e.action === 'workers.orphan-stopped' && e.user === 'launch'));
});

test('a Stop that cannot reach a host names the deployment, the host and the pids it had to leave there', async () => {
  const s = await supervised();
  const head = s.service.get('dep-test1').workers.find((w) => w.name === 'head');
  s.site.unreachable.add('a');
  const stopped = await s.service.stop('dep-test1');
  assert.equal(stopped.state, 'stopped');
  assert.match(stopped.detail ?? '', new RegExp(`could not reach a \\(10\\.0\\.0\\.1:22\\) — .*head \\(pid ${head?.pid}\\) may still run there`));
});

test('a launch whose process ended before it finished is ended: what it started is stopped and it is marked failed; one whose process still runs is left alone', async () => {
  const running = new Set([1000, 2000]);
  const w = fakeWorkers({ localProcesses: { self: 1000, alive: (pid) => running.has(pid) } });
  await w.launch();
  // As another core's launch would leave it, halfway: still `launching`, its workers started, its process 2000.
  const spec = w.repository.spec('dep-test1');
  assert.ok(spec);
  w.repository.setSpec('dep-test1', { ...spec, launcherPid: 2000 });
  assert.ok(w.repository.transition('dep-test1', ['ready'], 'launching', null, w.clock.now().toISOString()));
  const supervisor = new Supervisor(w.service, { intervalMs: 2000, backoffBaseMs: BASE_MS, backoffCapMs: CAP_MS, unhealthyLimit: 3, stableMs: STABLE_MS, lock: new FakeLock(), clock: w.clock, head: w.head, log: () => undefined });
  const pids = w.site.pidsOf('dep-test1');
  await supervisor.round();
  assert.equal(w.service.get('dep-test1').state, 'launching', 'its launcher still runs: the launch may yet finish');
  assert.deepEqual(w.site.pidsOf('dep-test1'), pids);

  running.delete(2000);
  await supervisor.round();
  const ended = w.service.get('dep-test1');
  assert.equal(ended.state, 'failed');
  assert.match(ended.detail ?? '', /launch was interrupted: the process that ran it \(pid 2000\) ended/);
  assert.deepEqual(w.site.pidsOf('dep-test1'), [], 'every worker it started is stopped');
  assert.ok(w.withdrawn.includes('dep-test1'));
  assert.ok(w.journal.some((e) => e.action === 'workers.launch-interrupted'));
  supervisor.stop();
});
