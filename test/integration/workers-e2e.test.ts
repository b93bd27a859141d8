import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Deployment, WorkerChange } from '../../shared/domain/workers.js';
import { runOutpost } from '../helpers/cli.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 160;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);
// Fast rounds so a killed worker is noticed within a second (the default is 2 s).
process.env.OUTPOST_SUPERVISE_INTERVAL_MS = '300';

describe('a plan launched as real llama.cpp workers across simulated hosts', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let deployment: Deployment;
  const changes = (): WorkerChange[] => bench.events.filter((e) => e.name === 'workers.changed').map((e) => e.payload as WorkerChange);
  const current = async (): Promise<Deployment> => (await bench.call('workers.list', { all: true })).find((d) => d.id === deployment.id) as Deployment;

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 11, profiles: { 'box-a': cpuWorkerProfile('cpu-worker-a'), 'box-b': cpuWorkerProfile('cpu-worker-b') } });
  });
  after(async () => {
    if (deployment) await bench.call('workers.stop', { deployment: deployment.id }).catch(() => undefined);
    await bench?.close();
  });

  test('launch: preflight, model copy, one-port tunnel, readiness, test prompt with tokens/s, router endpoint', async () => {
    const planId = await bench.plan(await bench.nodeNames());
    deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port: 18160 + (process.pid % 500) });
    assert.equal(deployment.state, 'ready', deployment.detail ?? '');
    assert.deepEqual(
      deployment.workers.map((w) => `${w.name}:${w.state}`),
      ['rpc-1:running', 'tunnel-1:running', 'head:running'],
    );
    assert.equal(new Set(deployment.stages.map((s) => s.node)).size, 2);
    assert.ok((deployment.tokensPerSecond ?? 0) > 0, 'the test prompt measured tokens/s');
    const phases = bench.events.filter((e) => e.name === 'workers.launchProgress').map((e) => (e.payload as { phase: string }).phase);
    for (const phase of ['preflight', 'model', 'keys', 'start', 'ready', 'test', 'register']) assert.ok(phases.includes(phase), `progress ${phase}`);
    const endpoints = await bench.call('router.endpoints.list', {});
    assert.deepEqual(
      endpoints.map((e) => [e.name, e.url, e.models]),
      [[deployment.id, deployment.apiUrl, [deployment.model]]],
    );

    // The rpc-server listens on loopback only; its host lets the deployment key open exactly that port.
    const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
    assert.equal(rpc?.listen?.host, '127.0.0.1');
    const rpcHost = bench.site.hosts.find((h) => h.sshd.address === rpc?.address);
    const keys = readFileSync(rpcHost?.sshd.authorizedKeysPath as string, 'utf8');
    assert.match(keys, new RegExp(`^restrict,port-forwarding,permitopen="127\\.0\\.0\\.1:${rpc?.listen?.port}" ssh-ed25519 \\S+ outpost-deployment:${deployment.id}$`, 'm'));
  });

  test("preflight compared the head's and the rpc-server's RPC protocol, and the rpc-server keeps its tensor cache in the host's lasting folder", async () => {
    const messages = bench.events.filter((e) => e.name === 'workers.launchProgress').map((e) => (e.payload as { message: string }).message);
    assert.ok(!messages.some((m) => /could not be compared/.test(m)), 'both sides told their protocol');
    const pid = deployment.workers.find((w) => w.name === 'rpc-1')?.pid as number;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    assert.match(argv[0] ?? '', /ggml-rpc-server$/);
    assert.ok(argv.includes('-c'), argv.join(' '));
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    assert.ok(env.includes(`LLAMA_CACHE=/home/${bench.site.user}/.outpost/rpc-cache`), 'the cache outlives the deployment');
  });

  test('a test prompt streams tokens through the sharded model', async () => {
    const before = bench.events.length;
    const answer = await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'Hello there', maxTokens: 24, requestId: 'e2e-1' });
    const streamed = bench.events.slice(before).filter((e) => e.name === 'workers.promptToken' && (e.payload as { requestId: string }).requestId === 'e2e-1');
    assert.ok(streamed.length >= 2, `${streamed.length} streamed pieces`);
    assert.equal(streamed.map((e) => (e.payload as { text: string }).text).join(''), answer.text);
    assert.equal(answer.tokens, 24, 'random weights never emit EOS: generation runs to max_tokens');
  });

  test('supervision: a head killed with kill -9 is restarted alone; a killed ggml-rpc-server restarts the pipeline', async () => {
    assert.equal(bench.core.supervise(), true);
    const head = (await current()).workers.find((w) => w.name === 'head');
    process.kill(head?.pid as number, 'SIGKILL');
    await until('the head restarted and ready', async () => {
      const d = await current();
      return d.state === 'ready' && d.workers.find((w) => w.name === 'head')?.restarts === 1 && d;
    });
    const journal = await bench.call('system.journal', { limit: 50 });
    assert.ok(
      journal.some((e) => e.action === 'workers.restart' && e.detail === 'head exited'),
      'the journal says why',
    );
    assert.equal((await current()).workers.find((w) => w.name === 'rpc-1')?.restarts, 0, 'the RPC member kept running');

    const rpc = (await current()).workers.find((w) => w.name === 'rpc-1');
    process.kill(rpc?.pid as number, 'SIGKILL');
    await until('degraded while the pipeline restarts', () => changes().some((c) => c.deploymentState === 'degraded' && /rpc-1 .* exited; the pipeline restarts as a unit/.test(c.reason)));
    const healed = await until('the pipeline back to ready', async () => {
      const d = await current();
      return d.state === 'ready' && d.workers.every((w) => w.restarts >= 1) && d;
    });
    assert.deepEqual(
      healed.workers.map((w) => w.state),
      ['running', 'running', 'running'],
    );
    assert.deepEqual(
      (await bench.call('router.endpoints.list', {})).map((e) => e.name),
      [deployment.id],
      're-registered once ready',
    );
    const answer = await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'Still there?', maxTokens: 8 });
    assert.equal(answer.tokens, 8);
  });

  test('the CLI shows workers and logs; stop leaves no process, key or endpoint behind', async () => {
    const listed = await runOutpost(['--data-dir', bench.dataDir, '--json', 'workers']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as Deployment[])[0]?.id, deployment.id);
    const logs = await runOutpost(['--data-dir', bench.dataDir, 'logs', deployment.id, '--worker', 'head', '--lines', '400']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /starting head/);

    const stopped = await runOutpost(['--data-dir', bench.dataDir, 'stop', deployment.id]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`${deployment.id}: stopped`));
    assert.deepEqual(taggedProcesses(deployment.id), []);
    for (const host of bench.site.hosts) assert.doesNotMatch(readFileSync(host.sshd.authorizedKeysPath, 'utf8'), /outpost-deployment:/);
    const head = deployment.workers.find((w) => w.name === 'head');
    assert.equal(existsSync(`/home/${bench.site.user}/.outpost/run/${deployment.id}/tunnel_key`), false, `tunnel key removed on ${head?.node}`);
    assert.deepEqual(await bench.call('router.endpoints.list', {}), []);
  });
});
