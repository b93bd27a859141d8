import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { Deployment } from '../../shared/domain/workers.js';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { startRouterProcess } from '../helpers/router-process.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { runOutpost } from '../helpers/cli.js';
import { releasingHq, type ReleasingHq } from '../helpers/releases.js';
import { startWorkersBench, taggedProcesses, type WorkersBench } from '../helpers/workers.js';

const FIRST = 20; // this file's loopback block: 127.0.0.20–21
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

/** The official openai client streaming through the router without pause until stopped: every request counted. */
function streamContinuously(url: string, key: string, model: string) {
  const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  const tally = { ok: 0, failed: [] as string[], endpoints: new Set<string>() };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        const { data: stream, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `weld ${i}` }], max_tokens: 16, stream: true }).withResponse();
        tally.endpoints.add(response.headers.get('x-outpost-endpoint') ?? '?');
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        if (!text) throw new Error('an empty stream');
        tally.ok += 1;
      } catch (error) {
        tally.failed.push(`request ${i}: ${(error as Error).message}`);
      }
    }
  })();
  return {
    tally,
    stop: async () => {
      running = false;
      await loop;
      return tally;
    },
  };
}

describe('a new version of a deployed release without a gap: rollout to 2 and rollback to 1 while the openai client streams', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let releases: ReleasingHq;
  let router: Awaited<ReturnType<typeof startRouterProcess>> | undefined;
  const launched: Deployment[] = [];

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 51, profiles: { 'ro-a': cpuWorkerProfile('rollout-a'), 'ro-b': cpuWorkerProfile('rollout-b') } });
    releases = await releasingHq(bench);
  });
  after(async () => {
    router?.child.kill('SIGTERM');
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    for (const d of launched) for (const pid of taggedProcesses(d.id)) process.kill(pid, 'SIGKILL');
    releases?.close();
    await bench?.close();
  });

  /** HQ releases a version; the import preview shows HQ's version label (not the record number), its size and digest. */
  async function release(version: string, seed: number) {
    const change = await releases.release(version, seed);
    assert.equal(change.release?.version, version);
    assert.equal(change.release?.sizeBytes, tinyGguf(seed).length);
    assert.match(change.release?.digest ?? '', /^[0-9a-f]{64}$/);
  }

  test('released v1 and v2 are in the library; v1 launched by name@version; rollout to 2 and back to 1 fail no request and keep the model name', async () => {
    await release('1', 51);
    const library = await bench.call('planner.models', {});
    const v1 = library.find((m) => m.ref === 'outpost-tiny@1');
    assert.ok(v1, JSON.stringify(library));
    assert.equal(v1.source, 'release');
    assert.equal(v1.architecture, 'llama');
    assert.equal(v1.signer, 'hq-releases');
    assert.equal(v1.path && path.basename(v1.path), v1.digest, 'the file sits at models/<sha256>, no extension');

    const nodes = await bench.nodeNames();
    const planId = await bench.plan(nodes, 'outpost-tiny@1');
    const port = 19000 + (process.pid % 40) * 4;
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    launched.push(deployment);
    assert.equal(deployment.model, 'outpost-tiny', "the router's name is the release's");
    assert.equal(deployment.modelName, 'outpost-tiny');
    assert.equal(deployment.modelVersion, '1');

    await release('2', 52);
    const offered = (await bench.call('workers.list', { all: false })).find((d) => d.id === deployment.id);
    assert.equal(offered?.rollout?.availableVersion, '2');

    const { key } = await bench.call('router.keys.add', { app: 'workers-rollout-test' });
    router = await startRouterProcess(bench.dataDir);
    const models = async () => ((await (await fetch(`${router?.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    const traffic = streamContinuously(router.url, key, 'outpost-tiny');
    await until(() => traffic.tally.ok >= 3);

    const next = await bench.call('workers.rollout', { deployment: deployment.id, to: '2' });
    launched.push(next);
    assert.equal(next.state, 'ready');
    assert.equal(next.modelVersion, '2');
    assert.equal(next.model, 'outpost-tiny');
    assert.deepEqual(next.rollout?.rollbackTo, { deployment: deployment.id, version: '1' });
    assert.deepEqual(
      (await bench.call('router.endpoints.list', {})).map((e) => e.name),
      [next.id],
    );
    assert.deepEqual(await models(), ['outpost-tiny']);
    assert.equal((await bench.call('workers.list', { all: true })).find((d) => d.id === deployment.id)?.state, 'stopped');
    assert.deepEqual(taggedProcesses(deployment.id), [], 'version 1 stopped after its requests drained');
    const served = traffic.tally.ok;
    await until(() => traffic.tally.ok >= served + 3);

    const back = await bench.call('workers.rollback', { deployment: next.id });
    launched.push(back);
    assert.equal(back.modelVersion, '1');
    assert.equal(back.planId, planId, "version 1's own plan, from its kept file");
    assert.equal(back.rollout?.availableVersion, '2', 'version 2 is offered again');
    assert.deepEqual(
      (await bench.call('router.endpoints.list', {})).map((e) => e.name),
      [back.id],
    );
    assert.deepEqual(await models(), ['outpost-tiny']);
    const afterBack = traffic.tally.ok;
    await until(() => traffic.tally.ok >= afterBack + 3);

    const tally = await traffic.stop();
    assert.deepEqual(tally.failed, [], `${tally.ok} requests answered`);
    for (const id of [deployment.id, next.id, back.id]) assert.ok(tally.endpoints.has(id), `${id} served: ${[...tally.endpoints].join(', ')}`);
    const steps = (await bench.call('system.journal', { limit: 200 })).map((e) => e.action);
    for (const step of ['workers.rollout-started', 'workers.rolled-out', 'workers.rollback-started', 'workers.rolled-back']) assert.ok(steps.includes(step), `${step} journaled`);
  });

  test('the CLI: `outpost models` lists both versions, `outpost rollout --to 2` moves the traffic with progress, bad versions and deployments are refused clearly', async () => {
    const cli = (...args: string[]) => runOutpost(['--data-dir', bench.dataDir, ...args]);
    const listed = await cli('models');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^outpost-tiny@2 +release .*llama F16, 4 layers\n {2}data dir: models\/[0-9a-f]{64} {2}signed by hq-releases on \d{4}-\d\d-\d\d, sha256 [0-9a-f]{12}… {2}\(newest\)$/m);
    assert.match(listed.stdout, /^outpost-tiny@1 +release /m);

    const serving = (await bench.call('workers.list', { all: false }))[0] as Deployment;
    assert.equal(serving.modelVersion, '1');
    const workers = await cli('workers');
    assert.match(workers.stdout, new RegExp(`${serving.id}  READY  outpost-tiny version 1 .*\\n(.*\\n)*  version 2 available: \`outpost rollout ${serving.id} --to 2\``));

    const unknown = await cli('rollout', serving.id, '--to', '9');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /outpost-tiny has no version "9" — HQ released: 1, 2/);
    const nothingBack = await cli('rollback', serving.id);
    assert.equal(nothingBack.code, 1);
    assert.match(nothingBack.stderr, /did not replace an earlier version: there is nothing to roll back to/);

    const moved = await cli('rollout', serving.id, '--to', '2');
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /^test: sending a test prompt$/m);
    assert.match(moved.stderr, /^switch: dep-[0-9a-z]+ serves outpost-tiny; withdrawing /m);
    assert.match(moved.stdout, /READY {2}outpost-tiny version 2 /);
    assert.match(moved.stdout, new RegExp(`${serving.id} stopped; the traffic goes to dep-[0-9a-z]+; \`outpost rollback dep-[0-9a-z]+\` goes back`));
    const now = (await bench.call('workers.list', { all: false }))[0] as Deployment;
    launched.push(now);
    assert.equal(now.modelVersion, '2');
  });

  test('a name nobody released is refused by name, with what exists', async () => {
    const nodes = await bench.nodeNames();
    await assert.rejects(bench.plan(nodes, 'outpost-small'), (error: Error & { hint?: string }) => /Unknown model "outpost-small"/.test(error.message) && /outpost-tiny@2, outpost-tiny@1/.test(error.hint ?? ''));
    await assert.rejects(bench.plan(nodes, 'outpost-tiny@9'), (error: Error & { hint?: string }) => /outpost-tiny has no version "9"; HQ released 2, 1/.test(error.message));
  });
});

async function until(probe: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the traffic');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
