import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment, LaunchProgress, WorkerChange } from '../../shared/domain/workers.js';
import { TINY_MODEL_SHAPE, tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { descendantsOf, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { gpu as simulatedGpu } from '../fixtures/simulated-site/profiles.js';

const FIRST = 170;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);
process.env.OUTPOST_SUPERVISE_INTERVAL_MS = '300';

describe('workers: faults and bad input', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let names: Record<string, string>;
  const port = 18500 + (process.pid % 400);
  const codeOf = (error: unknown): string => (error as { code?: string }).code ?? '';

  before(async () => {
    bench = await startWorkersBench({
      firstAddress: FIRST,
      seed: 13,
      profiles: {
        'f-a': cpuWorkerProfile('fault-a'),
        'f-b': cpuWorkerProfile('fault-b'),
        'f-nobin': cpuWorkerProfile('fault-nobin'),
        'f-lowmem': cpuWorkerProfile('fault-lowmem', { memAvailableKiB: 60_000 }),
        // nvidia-smi (simulated) lists an A100 as GPU 0 and an RTX 4090 as GPU 1; the engine is the real CPU-only build.
        'f-gpu': cpuWorkerProfile('fault-gpu', { nvidia: { driver: '550.90.07', cuda: '12.4', gpus: [simulatedGpu('NVIDIA A100-SXM4-80GB', 81920, 0x07), simulatedGpu('NVIDIA GeForce RTX 4090', 24564, 0x0b)] } }),
      },
      withoutEngine: ['f-nobin'],
      simulatedVllm: true,
    });
    const nodes = await bench.call('discovery.nodes', {});
    names = Object.fromEntries(nodes.map((n) => [n.inventory.hostname, n.name]));
  });
  after(async () => {
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    await bench?.close();
  });

  const refusedWithNothingStarted = async (planId: string, pattern: RegExp): Promise<void> => {
    const before = (await bench.call('workers.list', { all: true })).length;
    await assert.rejects(bench.call('workers.launch', { planId, user: bench.site.user, port }), (error: Error) => {
      assert.equal(codeOf(error), 'PRECONDITION');
      assert.match(error.message, pattern);
      return true;
    });
    assert.equal((await bench.call('workers.list', { all: true })).length, before, 'no deployment was recorded');
  };

  test('a plan id that does not exist', async () => {
    await assert.rejects(bench.call('workers.launch', { planId: 'plan-00000dead', user: bench.site.user }), (error: Error) => codeOf(error) === 'NOT_FOUND' && /there is no plan plan-00000dead/.test(error.message));
  });

  test('preflight refuses a host without the engine, naming it and the binary', async () => {
    await refusedWithNothingStarted(await bench.plan([names['fault-a'] as string, names['fault-nobin'] as string]), new RegExp(`${names['fault-nobin']}: ggml-rpc-server or rpc-server is not on the login PATH`));
  });

  test('preflight refuses a host with too little free memory for its stage', async () => {
    await refusedWithNothingStarted(await bench.plan([names['fault-a'] as string, names['fault-lowmem'] as string]), new RegExp(`${names['fault-lowmem']}: its stages need 0\\.\\d+ GB of RAM, 0\\.061 GB available`));
  });

  test('preflight refuses an API port already in use on the head', async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const head = (await bench.call('planner.get', { id: planId })).plan;
    assert.ok(head.feasible);
    const address = bench.site.hosts.find((h) => h.profile === (head.stages[0]?.node === names['fault-a'] ? 'f-a' : 'f-b'))?.sshd.address as string;
    const squatter = net.createServer().listen(port, address);
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      await refusedWithNothingStarted(planId, new RegExp(`port ${port} is already in use there`));
    } finally {
      squatter.close();
    }
  });

  test('preflight refuses a model file with the wrong digest on the head', async () => {
    const model = path.join(bench.dataDir, 'digest-check.gguf');
    const bytes = tinyGguf(3);
    writeFileSync(model, bytes);
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string], model);
    const target = `/home/${bench.site.user}/.outpost/models/${createHash('sha256').update(bytes).digest('hex')}.gguf`;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, tinyGguf(4));
    // Owned by the login user, as a file Outpost copied earlier would be.
    execFileSync('chown', ['-R', `${bench.site.user}:`, `/home/${bench.site.user}/.outpost`]);
    try {
      await refusedWithNothingStarted(planId, /has digest [0-9a-f]{12}…, expected [0-9a-f]{12}…/);
    } finally {
      rmSync(target, { force: true });
      rmSync(`${target}.outpost-sha256`, { force: true });
    }
  });

  test('a model file that is gone since the plan was made: refused, naming the file, nothing started', async () => {
    const model = path.join(bench.dataDir, 'moved-away.gguf');
    writeFileSync(model, tinyGguf(7));
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string], model);
    rmSync(model);
    const before = (await bench.call('workers.list', { all: true })).length;
    await assert.rejects(bench.call('workers.launch', { planId, user: bench.site.user, port }), (error: Error) => {
      assert.equal(codeOf(error), 'NOT_FOUND');
      assert.match(error.message, /the model file .*moved-away\.gguf the plan was made from is gone/);
      return true;
    });
    assert.equal((await bench.call('workers.list', { all: true })).length, before, 'no deployment was recorded');
  });

  test("a GPU head gets the GPU discovery recorded for its stage as llama.cpp's device (this CPU-only build then refuses it by name)", async () => {
    const node = names['fault-gpu'] as string;
    // The plan uses the node's 4090 and leaves its A100 (GPU 0) out: the head must ask for CUDA1, not CUDA0.
    const { planId, plan } = await bench.call('planner.plan', { model: bench.modelFile, context: 2048, parallel: 1, devices: [{ gpu: 'RTX-4090', node }], nodes: [{ name: node }] });
    assert.ok(planId && plan.feasible);
    assert.deepEqual(
      plan.stages.map((s) => s.gpu),
      ['RTX-4090'],
    );
    await assert.rejects(bench.call('workers.launch', { planId, user: bench.site.user, port }), (error: Error) => {
      assert.match(error.message, /the head on .* exited while loading/);
      return true;
    });
    const failed = (await bench.call('workers.list', { all: true })).find((d) => d.planId === planId) as Deployment;
    assert.equal(failed.state, 'failed');
    const log = (await bench.call('workers.logs', { deployment: failed.id, worker: 'head', lines: 40 }))[0]?.lines.join('\n') ?? '';
    assert.match(log, /error while handling argument "--device": invalid device: CUDA1\b/, log);
    assert.deepEqual(taggedProcesses(failed.id), []);
  });

  test('an interrupted model copy resumes from its .partial and is checked by digest', async () => {
    const model = path.join(bench.dataDir, 'resume.gguf');
    const bytes = tinyGguf(6);
    writeFileSync(model, bytes);
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string], model);
    const target = `/home/${bench.site.user}/.outpost/models/${createHash('sha256').update(bytes).digest('hex')}.gguf`;
    for (const file of [target, `${target}.outpost-sha256`]) rmSync(file, { force: true });
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(`${target}.partial`, bytes.subarray(0, 100_000));
    execFileSync('chown', ['-R', `${bench.site.user}:`, `/home/${bench.site.user}/.outpost`]);
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready');
      assert.deepEqual(readFileSync(target), bytes);
      assert.equal(existsSync(`${target}.partial`), false, `left: ${readdirSync(path.dirname(target)).join(', ')}`);
      const copy = bench.events.filter((e) => e.name === 'workers.launchProgress' && (e.payload as LaunchProgress).deploymentId === deployment.id && (e.payload as LaunchProgress).phase === 'model').map((e) => e.payload as LaunchProgress);
      // The resume is announced at the 100,000 bytes already there, and the first bytes moved are one 240 KiB
      // write after them: the copy started where the last one stopped.
      assert.equal(copy[1]?.fraction, 100_000 / bytes.length);
      const moved = copy.find((p) => p.transfer);
      assert.equal(moved?.fraction, Math.min(1, (100_000 + 240 * 1024) / bytes.length));
      assert.equal(moved?.transfer?.resumedFromBytes, 100_000);
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
  });

  test('a model whose name and file name hold spaces, quotes, $(…), backticks and a newline stays inert', async () => {
    // If the name were ever run by a shell, `touch` would leave its marker in the remote home or run dir.
    const marker = `outpost-pwned-${process.pid}`;
    const hostile = `tiny $(touch ${marker}) \`touch ${marker}\` 'q' "x"\nnext line`;
    // The served name comes from the model's own metadata, and the file's name is hostile too.
    const model = path.join(bench.dataDir, `${hostile.replace('\n', ' ')}.gguf`);
    writeFileSync(model, tinyGguf(5, TINY_MODEL_SHAPE, hostile));
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string], model);
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready');
      assert.match(deployment.model, /\$\(touch/);
      const home = `/home/${bench.site.user}`;
      for (const where of [home, `${home}/.outpost/run/${deployment.id}`, process.cwd()]) assert.equal(existsSync(path.join(where, marker)), false, `nothing in the name was executed (${where})`);
      const models = (await (await fetch(`${deployment.apiUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
      assert.equal(models.data[0]?.id, deployment.model, 'llama-server got the whole name as its alias');
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
  });

  test("vLLM: Ray head and worker, then vllm serve with the plan's uneven pipeline split (simulated vllm)", async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const deployment = await bench.call('workers.launch', { planId, engine: 'vllm', user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready', deployment.detail ?? '');
      assert.deepEqual(
        deployment.workers.map((w) => w.name),
        ['ray-head', 'ray-1', 'head'],
      );
      const log = await bench.call('workers.logs', { deployment: deployment.id, worker: 'head', lines: 20 });
      const split = deployment.stages.map((s) => s.layerCount).join(',');
      assert.match(log[0]?.lines.join('\n') ?? '', new RegExp(`pipeline 2 \\(${split}\\) over ray`));
      assert.equal((await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'hi', maxTokens: 5 })).tokens, 5);
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    assert.deepEqual(taggedProcesses(deployment.id), []);
  });

  test('custom engine: the template runs per stage with every value quoted', async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const template = 'llama-server -m {model} --host {host} --port {port} -c 256 -t 1 -a {node}';
    const deployment = await bench.call('workers.launch', { planId, engine: 'custom', template, user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready', deployment.detail ?? '');
      assert.deepEqual(
        deployment.workers.map((w) => w.name),
        ['stage-1', 'head'],
      );
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    await assert.rejects(bench.call('workers.launch', { planId, engine: 'custom', template: 'run {model} {oops}', user: bench.site.user, port }), (error: Error) => codeOf(error) === 'INVALID_INPUT' && /\{oops\}/.test(error.message));
  });

  test('stop during a launch stops what it started and removes the keys', async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const deploymentId = 'dep-stopmidway';
    const launching = bench.call('workers.launch', { planId, user: bench.site.user, port, deploymentId });
    await until('the launch starting processes', () => bench.events.some((e) => e.name === 'workers.launchProgress' && (e.payload as LaunchProgress).deploymentId === deploymentId && (e.payload as LaunchProgress).phase === 'start'));
    const stopped = await bench.call('workers.stop', { deployment: deploymentId });
    await assert.rejects(launching, (error: Error) => codeOf(error) === 'CANCELLED');
    assert.equal(stopped.state, 'stopped');
    assert.match(stopped.detail ?? '', /stopped during launch/);
    assert.deepEqual(taggedProcesses(deploymentId), []);
    for (const host of bench.site.hosts) assert.doesNotMatch(readFileSync(host.sshd.authorizedKeysPath, 'utf8'), /outpost-deployment:/);
  });

  test('a restart that keeps failing backs off (1 s, 2 s, 4 s), stays degraded and withdrawn, and heals once the cause is gone', async () => {
    const deployment = await bench.call('workers.launch', { planId: await bench.plan([names['fault-a'] as string, names['fault-b'] as string]), user: bench.site.user, port });
    const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
    const rpcPort = rpc?.listen?.port as number;
    const current = async (): Promise<Deployment> => (await bench.call('workers.list', { all: false })).find((x) => x.id === deployment.id) as Deployment;
    const failures = (): string[] => [
      ...new Set(
        bench.events
          .filter((e) => e.name === 'workers.changed' && (e.payload as WorkerChange).deploymentId === deployment.id)
          .map((e) => /restart failed .*; next try in (\d+) s/.exec((e.payload as WorkerChange).reason)?.[1])
          .filter((x): x is string => x !== undefined),
      ),
    ];
    try {
      assert.equal(bench.core.supervise(), true);
      // Another program takes the rpc-server's port as it dies and hangs up on every connection: each restarted
      // rpc-server fails to bind, and the head fails to reach it.
      const squatter = net.createServer((socket) => socket.destroy());
      process.kill(rpc?.pid as number, 'SIGKILL');
      await until(
        'the port taken over',
        () =>
          new Promise<boolean>((resolve) => {
            squatter.once('error', () => resolve(false));
            squatter.listen(rpcPort, '127.0.0.1', () => resolve(true));
          }),
        5_000,
      );
      try {
        await until('three failed restarts', () => failures().length >= 3, 120_000);
        assert.deepEqual(failures().slice(0, 3), ['1', '2', '4'], 'each wait twice the last');
        const meanwhile = await current();
        assert.equal(meanwhile.state, 'degraded');
        assert.equal(meanwhile.endpoint, null);
        assert.ok(!(await bench.call('router.endpoints.list', {})).some((e) => e.name === deployment.id), 'withdrawn while it cannot serve');
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      const healed = await until(
        'ready once the port is free',
        async () => {
          const d = await current();
          return d.state === 'ready' && d;
        },
        60_000,
      );
      assert.ok((healed.workers.find((w) => w.name === 'rpc-1')?.restarts ?? 0) >= 4, 'every attempt counted');
      assert.equal((await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'and now?', maxTokens: 4 })).tokens, 4);
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    assert.deepEqual(taggedProcesses(deployment.id), []);
  });

  test('a host that hangs, then answers again: degraded and withdrawn within seconds, retried, back to ready with its workers untouched', async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      // Its sshd and every SSH session it serves stop answering (not refused: silent), as a hung host or a cut
      // link looks. Only sshd processes: the workers themselves run detached from it.
      const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
      const sshd = bench.site.hosts.find((h) => h.sshd.address === rpc?.address)?.sshd;
      const comm = (pid: number): string => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          return '';
        }
      };
      const frozen = [sshd?.pid as number, ...descendantsOf(sshd?.pid as number)].filter((pid) => comm(pid) === 'sshd');
      // A session may end between the listing and the signal.
      const signal = (pid: number, name: NodeJS.Signals): void => {
        try {
          process.kill(pid, name);
        } catch {
          // gone already
        }
      };
      const current = async (): Promise<Deployment> => (await bench.call('workers.list', { all: false })).find((x) => x.id === deployment.id) as Deployment;
      try {
        assert.equal(bench.core.supervise(), true);
        for (const pid of frozen) signal(pid, 'SIGSTOP');
        const degraded = await until(
          'degraded',
          async () => {
            const d = await current();
            return d.state === 'degraded' && d;
          },
          30_000,
        );
        assert.match(degraded.detail ?? '', new RegExp(`cannot reach ${rpc?.node} over SSH`));
        assert.equal(degraded.endpoint, null, 'withdrawn from the router');
        assert.deepEqual(
          (await bench.call('router.endpoints.list', {})).map((e) => e.name),
          [],
        );
      } finally {
        for (const pid of frozen) signal(pid, 'SIGCONT');
      }
      const back = await until(
        'ready again',
        async () => {
          const d = await current();
          return d.state === 'ready' && d;
        },
        30_000,
      );
      assert.deepEqual(
        back.workers.map((w) => [w.name, w.state, w.restarts]),
        deployment.workers.map((w) => [w.name, 'running', 0]),
        'nothing had to be restarted',
      );
      assert.deepEqual(
        (await bench.call('router.endpoints.list', {})).map((e) => e.name),
        [deployment.id],
        'registered again',
      );
      const journal = await bench.call('system.journal', { limit: 50 });
      assert.ok(
        journal.some((e) => e.action === 'workers.degraded' && /cannot reach/.test(e.detail ?? '')),
        'the journal says why it was degraded',
      );
      assert.equal((await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'back?', maxTokens: 4 })).tokens, 4);
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    assert.deepEqual(taggedProcesses(deployment.id), []);
  });

  test('a host that becomes unreachable leaves the deployment degraded, withdrawn and still listed', async () => {
    const planId = await bench.plan([names['fault-a'] as string, names['fault-b'] as string]);
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      assert.equal(bench.core.supervise(), true);
      const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
      const host = bench.site.hosts.find((h) => h.sshd.address === rpc?.address);
      await host?.sshd.stop();
      const degraded = await until('degraded', async () => {
        const d = (await bench.call('workers.list', { all: false })).find((x) => x.id === deployment.id) as Deployment;
        return d.state === 'degraded' && d;
      });
      assert.match(degraded.detail ?? '', new RegExp(`cannot reach ${rpc?.node} over SSH`));
      assert.equal(degraded.workers.find((w) => w.name === 'rpc-1')?.state, 'down');
      assert.equal(degraded.endpoint, null);
      assert.deepEqual(
        (await bench.call('router.endpoints.list', {})).map((e) => e.name),
        [],
      );
      const stopped = await bench.call('workers.stop', { deployment: deployment.id });
      assert.match(stopped.detail ?? '', new RegExp(`could not reach ${rpc?.node}`));
    } finally {
      for (const pid of taggedProcesses(deployment.id)) process.kill(pid, 'SIGKILL');
    }
  });
});
