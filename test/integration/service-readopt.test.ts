// The site service is killed outright (kill -9) while a deployment runs; the next `outpost ui` finds no live
// service, starts one in the background, and that one adopts the running workers as they are: same pids, nothing
// restarted, still ready.
import assert from 'node:assert/strict';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidAlive } from '../../main/platform/process-alive.js';
import { outpostUi, stopService } from '../helpers/attach.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 156; // this file's loopback block: 127.0.0.156–157
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

const SERVICE_ENV = { OUTPOST_SUPERVISE_INTERVAL_MS: '300', OUTPOST_ROUTER_PORT: '0' };

test('the service killed -9 while a deployment runs: the next outpost ui brings one back, which re-adopts the workers without restarting them', { skip: unavailable, timeout: 300_000 }, async (t) => {
  const bench = await startWorkersBench({ firstAddress: FIRST, seed: 29, profiles: { 'sv-a': cpuWorkerProfile('service-adopt-a'), 'sv-b': cpuWorkerProfile('service-adopt-b') } });
  t.after(async () => {
    await stopService(bench.dataDir);
    for (const d of await bench.call('workers.list', { all: false }).catch(() => [])) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    await bench.close();
  });
  const deployment = await bench.call('workers.launch', { planId: await bench.plan(await bench.nodeNames()), user: bench.site.user, port: 18500 + (process.pid % 90) });
  assert.equal(deployment.state, 'ready');
  const pids = taggedProcesses(deployment.id).sort();
  const stored = deployment.workers.map((w) => [w.name, w.pid]);

  const first = await outpostUi(t, bench.dataDir, SERVICE_ENV);
  process.kill(-(first.child.pid as number), 'SIGINT');
  await sleep(1_500); // a few supervision rounds of the first service
  process.kill(first.printed.pid, 'SIGKILL');
  await until('the killed service to be gone', () => !pidAlive(first.printed.pid));

  const second = await outpostUi(t, bench.dataDir, SERVICE_ENV);
  assert.notEqual(second.printed.pid, first.printed.pid, 'a new service');
  await until('the new service to supervise', async () => (await bench.call('router.status', {})).supervised?.supervisorPid === second.printed.pid, 30_000);
  await sleep(2_000); // several supervision rounds
  assert.deepEqual(taggedProcesses(deployment.id).sort(), pids, 'the same worker processes, none restarted');
  const now = (await bench.call('workers.list', { all: false })).find((d) => d.id === deployment.id);
  assert.equal(now?.state, 'ready');
  assert.deepEqual(
    now?.workers.map((w) => [w.name, w.pid]),
    stored,
  );
  const journal = await bench.call('system.journal', { limit: 100 });
  assert.ok(!journal.some((e) => e.action === 'workers.restart' && JSON.stringify(e.input).includes(deployment.id)), 'nothing was restarted');
  process.kill(-(second.child.pid as number), 'SIGINT');
});
