import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from '../../shared/domain/workers.js';
import { OUTPOST_BIN, REPO_ROOT } from '../helpers/cli.js';
import { descendantsOf, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 194;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

describe('`outpost logs --follow` on a live deployment', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let deployment: Deployment | undefined;

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 19, profiles: { 'lf-a': cpuWorkerProfile('follow-worker-a'), 'lf-b': cpuWorkerProfile('follow-worker-b') } });
  });
  after(async () => {
    if (deployment) await bench.call('workers.stop', { deployment: deployment.id }).catch(() => undefined);
    await bench?.close();
  });

  test('lines appended to a remote worker log arrive once each, repeats included; Ctrl-C ends it with exit 0 and no SSH session left', async () => {
    deployment = await bench.call('workers.launch', { planId: await bench.plan(await bench.nodeNames()), user: bench.site.user, port: 18900 + (process.pid % 90) });
    const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
    const sshd = bench.site.hosts.find((h) => h.sshd.address === rpc?.address)?.sshd;
    assert.ok(rpc && sshd?.pid, 'the rpc-server runs on a host of the site');
    const log = `/home/${bench.site.user}/.outpost/run/${deployment.id}/rpc-1.log`;
    const sessionsBefore = descendantsOf(sshd.pid).length;

    const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', bench.dataDir, 'logs', deployment.id, '--worker', 'rpc-1', '--lines', '5', '--follow'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const seen = (what: string, probe: () => boolean): Promise<boolean> =>
      until(what, probe, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; stdout: ${stdout}; stderr: ${stderr}`);
      });
    try {
      await seen('the first window', () => stdout.includes(`== rpc-1 on ${rpc.node} ==`));
      // A repeated line and shell syntax: printed as written, once per occurrence.
      appendFileSync(log, 'follow one: alpha\nfollow one: alpha\n$(echo never) "quoted" \'x\'\n');
      await seen('the appended lines', () => stdout.includes('$(echo never) "quoted" \'x\'\n'));
      appendFileSync(log, 'follow two: omega\n');
      await seen('a second batch', () => stdout.includes('follow two: omega\n'));

      child.kill('SIGINT');
      assert.equal(await exited, 0, `Ctrl-C ends --follow cleanly: ${stderr}`);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(stderr, '');
    const fresh = stdout.slice(stdout.indexOf('follow one'));
    assert.equal(fresh, 'follow one: alpha\nfollow one: alpha\n$(echo never) "quoted" \'x\'\nfollow two: omega\n', 'each new line once, in order, nothing else');
    // The CLI held its SSH session to the rpc-server's host only while polling: nothing of it stays there.
    await until('no SSH session of the CLI left on the host', () => descendantsOf(sshd.pid as number).length <= sessionsBefore, 5_000);

    await bench.call('workers.stop', { deployment: deployment.id });
    assert.deepEqual(taggedProcesses(deployment.id), []);
    deployment = undefined;
  });
});
