import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from '../../shared/domain/workers.js';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';
import { descendantsOf, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 194;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

/** The real CLI as a child process, its output collected as it comes. */
function spawnCli(dataDir: string, args: string[]): { child: ChildProcess; exited: Promise<number | null>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('the workers CLI on a live site: launch, Ctrl-C during a launch, logs --follow', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let deployment: Deployment | undefined;
  let planId: string;
  const port = 18900 + (process.pid % 90);

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 19, profiles: { 'lf-a': cpuWorkerProfile('follow-worker-a'), 'lf-b': cpuWorkerProfile('follow-worker-b') } });
    planId = await bench.plan(await bench.nodeNames());
  });
  after(async () => {
    if (deployment) await bench.call('workers.stop', { deployment: deployment.id }).catch(() => undefined);
    await bench?.close();
  });

  test('Ctrl-C during `outpost launch` stops what it started and removes the key; the command says so and fails', async () => {
    const cli = spawnCli(bench.dataDir, ['launch', planId, '--user', bench.site.user, '--port', String(port)]);
    try {
      await until('the launch starting processes', () => /^start: /m.test(cli.stderr()), 30_000);
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 1, cli.stderr());
    } finally {
      cli.child.kill('SIGKILL');
    }
    assert.match(cli.stderr(), /^rollback: stopped during launch/m);
    assert.match(cli.stderr(), /^outpost: the launch of dep-[0-9a-f]+ was stopped; what it started was stopped and its keys removed — /m);
    const cancelled = (await bench.call('workers.list', { all: true })).find((d) => d.planId === planId) as Deployment;
    assert.ok(cancelled, 'the cancelled launch is on record');
    assert.notEqual(cancelled.state, 'ready');
    assert.deepEqual(taggedProcesses(cancelled.id), []);
    for (const host of bench.site.hosts) assert.doesNotMatch(readFileSync(host.sshd.authorizedKeysPath, 'utf8'), /outpost-deployment:/);
    assert.deepEqual(await bench.call('router.endpoints.list', {}), []);
  });

  test('`outpost launch` prints each phase, then the ready deployment', async () => {
    const cli = spawnCli(bench.dataDir, ['launch', planId, '--user', bench.site.user, '--port', String(port)]);
    assert.equal(await cli.exited, 0, cli.stderr());
    for (const phase of ['preflight', 'keys', 'start', 'ready', 'test', 'register']) assert.match(cli.stderr(), new RegExp(`^${phase}: `, 'm'));
    const id = /^(dep-[0-9a-f]+)\b/m.exec(cli.stdout())?.[1];
    assert.ok(id, cli.stdout());
    deployment = (await bench.call('workers.list', { all: false })).find((d) => d.id === id);
    assert.equal(deployment?.state, 'ready');
    assert.match(cli.stdout(), new RegExp(`outpost stop ${id}`));
  });

  test('lines appended to a remote worker log arrive once each, repeats included; Ctrl-C ends it with exit 0 and no SSH session left', async () => {
    assert.ok(deployment, 'launched by the test before');
    const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
    const sshd = bench.site.hosts.find((h) => h.sshd.address === rpc?.address)?.sshd;
    assert.ok(rpc && sshd?.pid, 'the rpc-server runs on a host of the site');
    const log = `/home/${bench.site.user}/.outpost/run/${deployment.id}/rpc-1.log`;
    const sessionsBefore = descendantsOf(sshd.pid).length;

    const { child, exited, stdout, stderr } = spawnCli(bench.dataDir, ['logs', deployment.id, '--worker', 'rpc-1', '--lines', '5', '--follow']);
    const seen = (what: string, probe: () => boolean): Promise<boolean> =>
      until(what, probe, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; stdout: ${stdout()}; stderr: ${stderr()}`);
      });
    try {
      await seen('the first window', () => stdout().includes(`== rpc-1 on ${rpc.node} ==`));
      // A repeated line and shell syntax: printed as written, once per occurrence.
      appendFileSync(log, 'follow one: alpha\nfollow one: alpha\n$(echo never) "quoted" \'x\'\n');
      await seen('the appended lines', () => stdout().includes('$(echo never) "quoted" \'x\'\n'));
      appendFileSync(log, 'follow two: omega\n');
      await seen('a second batch', () => stdout().includes('follow two: omega\n'));

      child.kill('SIGINT');
      assert.equal(await exited, 0, `Ctrl-C ends --follow cleanly: ${stderr()}`);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(stderr(), '');
    const fresh = stdout().slice(stdout().indexOf('follow one'));
    assert.equal(fresh, 'follow one: alpha\nfollow one: alpha\n$(echo never) "quoted" \'x\'\nfollow two: omega\n', 'each new line once, in order, nothing else');
    // The CLI held its SSH session to the rpc-server's host only while polling: nothing of it stays there.
    await until('no SSH session of the CLI left on the host', () => descendantsOf(sshd.pid as number).length <= sessionsBefore, 5_000);

    await bench.call('workers.stop', { deployment: deployment.id });
    assert.deepEqual(taggedProcesses(deployment.id), []);
    deployment = undefined;
  });
});
