import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from '../../shared/domain/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { loseRpcHost } from '../helpers/replan.js';
import { startRouterProcess } from '../helpers/router-process.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';

const FIRST = 182; // this file's loopback block: 127.0.0.182–184
const GRACE_MS = 1500;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);
process.env.OUTPOST_SUPERVISE_INTERVAL_MS = '300';
process.env.OUTPOST_REPLAN_GRACE_MS = String(GRACE_MS);

describe('a pipeline that loses a host for good is re-planned on the hosts left, and goes back when it returns', { skip: unavailable }, () => {
  let bench: WorkersBench;
  const launched: Deployment[] = [];
  let router: Awaited<ReturnType<typeof startRouterProcess>> | undefined;

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 31, profiles: { 'rp-a': cpuWorkerProfile('replan-a'), 'rp-b': cpuWorkerProfile('replan-b'), 'rp-c': cpuWorkerProfile('replan-c') } });
  });
  after(async () => {
    router?.child.kill('SIGTERM');
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    for (const d of launched) for (const pid of taggedProcesses(d.id)) process.kill(pid, 'SIGKILL');
    await bench?.close();
  });

  test('its rpc host stopped for good: after the grace period one host serves the same model through the router, every step journaled; the host back, going back restores the original plan', async () => {
    const [a, b] = await bench.nodeNames();
    const planId = await bench.plan([a as string, b as string]);
    const port = 18900 + (process.pid % 40) * 2;
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    launched.push(deployment);
    assert.equal(deployment.stages.length, 2);
    const { key } = await bench.call('router.keys.add', { app: 'workers-replan-test' });
    router = await startRouterProcess(bench.dataDir);
    assert.equal(bench.core.supervise(), true);

    const loss = await loseRpcHost(bench, deployment, { url: router.url, key });
    launched.push(loss.replacement);
    console.log(`# loss → served by the re-plan: ${loss.lossToServedMs} ms (grace ${GRACE_MS} ms, supervision every 300 ms)`);

    const { replacement } = loss;
    assert.equal(replacement.state, 'ready');
    assert.equal(replacement.model, deployment.model, 'the same model name');
    assert.deepEqual([...new Set(replacement.stages.map((s) => s.node))], [deployment.stages[0]?.node], 'one stage, on the host that survived');
    assert.equal(replacement.replan?.state, 'replacement');
    assert.equal(replacement.replan?.replaces, deployment.id);
    assert.deepEqual(replacement.replan?.lostNodes, [loss.lostNode]);

    // The traffic moves first; the broken deployment is stopped after (its tunnel key removed where reachable).
    const broken = await until('the broken deployment stopped', async () => {
      const d = (await bench.call('workers.list', { all: true })).find((x) => x.id === deployment.id);
      return d?.state === 'stopped' && d;
    });
    assert.equal(broken.replan?.state, 'replaced');
    assert.equal(broken.replan?.replacedBy, replacement.id);
    assert.deepEqual(
      (await bench.call('router.endpoints.list', {})).map((e) => e.name),
      [replacement.id],
      "the broken deployment's endpoint is gone",
    );
    assert.deepEqual(taggedProcesses(deployment.id), [], 'nothing of the broken pipeline runs on the surviving host');

    const journal = (await bench.call('system.journal', { limit: 100 })).filter((e) => JSON.stringify(e.input ?? {}).includes(deployment.id));
    const steps = [...journal].sort((x, y) => x.id - y.id).map((e) => e.action);
    for (const step of ['workers.degraded', 'workers.replan-started', 'workers.replanned']) assert.ok(steps.includes(step), `${step} journaled: ${steps.join(', ')}`);
    assert.ok(steps.indexOf('workers.degraded') < steps.indexOf('workers.replan-started') && steps.indexOf('workers.replan-started') < steps.indexOf('workers.replanned'), steps.join(', '));

    // The lost host comes back (same key and port): the replacement offers to go back, and going back moves the traffic home.
    await bench.site.hosts.find((h) => h.sshd.address === deployment.workers.find((w) => w.name === 'rpc-1')?.address)?.sshd.restart();
    await until('the replacement to offer going back', async () => (await bench.call('workers.list', { all: true })).find((d) => d.id === replacement.id)?.replan?.canRestore === true);
    const restored = await bench.call('workers.restore', { deployment: replacement.id });
    launched.push(restored);
    assert.equal(restored.state, 'ready');
    assert.equal(restored.planId, planId);
    assert.deepEqual([...new Set(restored.stages.map((s) => s.node))], [...new Set(deployment.stages.map((s) => s.node))], 'the original plan, on its two hosts');
    assert.deepEqual(
      (await bench.call('router.endpoints.list', {})).map((e) => e.name),
      [restored.id],
    );
    assert.equal((await bench.call('workers.list', { all: true })).find((d) => d.id === replacement.id)?.state, 'stopped');
    assert.deepEqual(taggedProcesses(replacement.id), []);
    await bench.call('workers.stop', { deployment: restored.id });
    assert.deepEqual(taggedProcesses(restored.id), []);
  });
});
