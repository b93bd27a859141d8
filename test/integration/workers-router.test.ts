import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from '../../shared/domain/workers.js';
import { startRouterProcess } from '../helpers/router-process.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 190;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);
process.env.OUTPOST_SUPERVISE_INTERVAL_MS = '300';

/** What one request through the router came to. */
interface Outcome {
  endpoint: string | null;
  /** At least one token arrived before any failure: after that the router may not retry. */
  streamed: boolean;
  done: boolean;
  error: string | null;
  at: number;
}

async function streamThrough(url: string, key: string, model: string, prompt: string): Promise<Outcome> {
  const at = Date.now();
  let streamed = false;
  let endpoint: string | null = null;
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: 8, stream: true }),
    });
    endpoint = response.headers.get('x-outpost-endpoint');
    if (response.status !== 200) return { endpoint, streamed, done: false, error: `HTTP ${response.status}: ${await response.text()}`, at };
    let body = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      body += decoder.decode(chunk, { stream: true });
      streamed ||= /"content":"[^"]/.test(body);
    }
    return { endpoint, streamed, done: body.includes('data: [DONE]'), error: body.includes('data: [DONE]') ? null : `no [DONE] in ${body.slice(-200)}`, at };
  } catch (error) {
    return { endpoint, streamed, done: false, error: (error as Error).message, at };
  }
}

describe('the router in front of two llama.cpp deployments while one pipeline restarts', { skip: unavailable }, () => {
  let bench: WorkersBench;
  const deployments: Deployment[] = [];
  let router: Awaited<ReturnType<typeof startRouterProcess>> | undefined;

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 17, profiles: { 'rt-a': cpuWorkerProfile('router-worker-a'), 'rt-b': cpuWorkerProfile('router-worker-b') } });
  });
  after(async () => {
    router?.child.kill('SIGTERM');
    for (const d of deployments) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    await bench?.close();
  });

  test('a killed ggml-rpc-server: no request that had not started streaming fails; the restarted deployment takes traffic again', async () => {
    const planId = await bench.plan(await bench.nodeNames());
    const port = 18700 + (process.pid % 200) * 2;
    for (const offset of [0, 1]) deployments.push(await bench.call('workers.launch', { planId, user: bench.site.user, port: port + offset }));
    const [victim, other] = deployments as [Deployment, Deployment];
    assert.deepEqual([victim.state, other.state], ['ready', 'ready']);
    assert.equal(victim.model, other.model, 'two endpoints of one model');
    const { key } = await bench.call('router.keys.add', { app: 'workers-router-test' });
    router = await startRouterProcess(bench.dataDir);
    assert.equal(bench.core.supervise(), true);

    // A steady load: two clients, each sending its next request as soon as the last one ended.
    const outcomes: Outcome[] = [];
    let loading = true;
    const client = async (n: number): Promise<void> => {
      for (let i = 0; loading; i += 1) outcomes.push(await streamThrough(router?.url as string, key, victim.model, `client ${n}, request ${i}: hello`));
    };
    const load = Promise.all([client(1), client(2)]);
    try {
      await until('both deployments serving', () => deployments.every((d) => outcomes.some((o) => o.endpoint === d.id && o.done)), 30_000);

      const rpc = victim.workers.find((w) => w.name === 'rpc-1');
      const killedAt = Date.now();
      process.kill(rpc?.pid as number, 'SIGKILL');
      const current = async (): Promise<Deployment> => (await bench.call('workers.list', { all: true })).find((d) => d.id === victim.id) as Deployment;
      await until('the victim degraded', async () => (await current()).state === 'degraded', 20_000);
      const healed = await until(
        'the pipeline restarted and ready',
        async () => {
          const d = await current();
          return d.state === 'ready' && d.workers.every((w) => w.restarts >= 1) && d;
        },
        60_000,
      );
      assert.equal(healed.apiUrl, victim.apiUrl);
      const endpoints = await bench.call('router.endpoints.list', {});
      assert.deepEqual(endpoints.map((e) => [e.name, e.url]).sort(), deployments.map((d) => [d.id, d.apiUrl]).sort(), 'registered again');
      const backAt = Date.now();
      await until('the router sending to the restarted deployment again', () => outcomes.some((o) => o.at > backAt && o.endpoint === victim.id && o.done), 30_000);

      loading = false;
      await load;
      const notStarted = outcomes.filter((o) => !o.done && !o.streamed);
      assert.deepEqual(notStarted, [], `every request that had not streamed a token succeeded (${victim.id} killed at ${killedAt}, registered again by ${backAt}; ${other.id} serving meanwhile)`);
      const during = outcomes.filter((o) => o.at > killedAt && o.at < backAt);
      assert.ok(during.length >= 4, `${during.length} requests while the pipeline restarted`);
      assert.ok(during.filter((o) => o.done && o.endpoint === other.id).length >= 4, 'meanwhile new requests went to the other deployment');
      const midStream = outcomes.filter((o) => !o.done && o.streamed);
      assert.ok(midStream.length <= 2, `at most the two requests in flight on the victim broke mid-stream (${midStream.length})`);
      console.log(`# ${outcomes.length} requests, ${during.length} during the restart (${backAt - killedAt} ms), ${midStream.length} cut mid-stream`);
    } finally {
      loading = false;
      await load;
    }
    router.child.kill('SIGTERM');
    assert.equal(await router.exited, 0, 'the router stops cleanly');
    router = undefined;
    for (const d of deployments.splice(0)) {
      await bench.call('workers.stop', { deployment: d.id });
      assert.deepEqual(taggedProcesses(d.id), []);
    }
  });
});
