import assert from 'node:assert/strict';
import test from 'node:test';
import type { ModelReleaseEntry } from '../../../shared/domain/models.js';
import type { ShardPlan } from '../../../shared/domain/planner.js';
import { OutpostError } from '../../../shared/errors.js';
import { fakeWorkers, twoStagePlan } from '../../../test/helpers/workers-fakes.js';
import { samePlanShape } from './rollout.js';

const release = (version: string, recordVersion: number): ModelReleaseEntry => ({
  name: 'outpost-tiny',
  version,
  recordVersion,
  digest: String(recordVersion).repeat(64).slice(0, 64),
  sizeBytes: 2e8,
  fileCount: 1,
  signer: 'hq-main',
  releasedAt: '2025-01-01T00:00:00.000Z',
  path: `/data/models/${recordVersion}`,
});
const RELEASES = [release('1', 1), release('2', 2)];

const planOf = (version: string): ShardPlan => {
  const plan = twoStagePlan('a', 'b');
  const found = RELEASES.find((r) => r.version === version) as ModelReleaseEntry;
  return { ...plan, model: { ...plan.model, name: 'outpost-tiny', release: { name: found.name, version, digest: found.digest } } };
};

/**
 * dep-test1 serves outpost-tiny version 1 (plan-test1) on a and b. `inFlight` answers the router's drain reading
 * for an endpoint; the journal, routes and progress show what the rollout did.
 */
async function serving(options: { inFlight?: (name: string) => { applied: boolean; inFlight: number } | null; drainTimeoutMs?: number } = {}) {
  const plans = new Map<string, ShardPlan>([['plan-test1', planOf('1')]]);
  const w = fakeWorkers(
    {
      plans: (id) => plans.get(id) ?? planOf('1'),
      releases: {
        list: () => RELEASES,
        planWith: async (_id, model) => {
          const version = model.split('@')[1] as string;
          const planId = `plan-v${version}x${plans.size}`;
          plans.set(planId, planOf(version));
          return { planId, plan: planOf(version) };
        },
      },
    },
    ['a', 'b'],
    { drainTimeoutMs: options.drainTimeoutMs ?? 5_000, inFlight: options.inFlight ?? (() => ({ applied: true, inFlight: 0 })) },
  );
  const service = w.service;
  await service.launch({ planId: 'plan-test1', engine: 'llama.cpp', port: 8181, rpcTransport: 'ssh', threads: 1, deploymentId: 'dep-test1' }, undefined);
  const actions = () => w.journal.filter((e) => /^workers\.(rollout|rolled|rollback)/.test(e.action)).map((e) => e.action);
  return { ...w, service, actions };
}

test('the same plan shape: stages on the same nodes with the same layers', () => {
  assert.equal(samePlanShape(planOf('1'), planOf('2')), true);
  assert.equal(samePlanShape(planOf('1'), twoStagePlan('b', 'a')), false);
});

test('a deployment of version 1 offers version 2, and a rollout moves the traffic without a gap', async () => {
  const readings = [
    { applied: false, inFlight: 0 },
    { applied: true, inFlight: 2 },
    { applied: true, inFlight: 0 },
  ];
  const s = await serving({ inFlight: (name) => (name === 'dep-test1' ? (readings.shift() ?? { applied: true, inFlight: 0 }) : null) });
  const before = s.service.get('dep-test1');
  assert.equal(before.modelName, 'outpost-tiny');
  assert.equal(before.modelVersion, '1');
  assert.deepEqual(before.rollout, { availableVersion: '2', rollbackTo: null, detail: null });

  // The router always has an endpoint for the model: the new one is registered before the old one goes.
  const seen: number[] = [];
  const register = s.routes.set.bind(s.routes);
  const remove = s.routes.delete.bind(s.routes);
  s.routes.set = (name, url) => (seen.push(s.routes.size + 1), register(name, url));
  s.routes.delete = (name) => {
    const removed = remove(name);
    seen.push(s.routes.size);
    return removed;
  };
  const next = await s.service.rollout({ deployment: 'dep-test1', to: '2', deploymentId: 'dep-next1' });
  assert.equal(next.id, 'dep-next1');
  assert.equal(next.state, 'ready');
  assert.equal(next.modelVersion, '2');
  assert.equal(next.model, before.model, 'registered under the same model name');
  assert.match(next.apiUrl ?? '', /:8182$/, 'beside the old one, which kept its port while both served');
  assert.deepEqual(next.rollout, { availableVersion: null, rollbackTo: { deployment: 'dep-test1', version: '1' }, detail: 'rolled out outpost-tiny 1 → 2: dep-next1 serves, dep-test1 stopped' });
  assert.ok(!seen.includes(0), `never without an endpoint: ${seen.join(' ')}`);
  assert.deepEqual([...s.routes.keys()], ['dep-next1']);
  assert.equal(s.service.get('dep-test1').state, 'stopped');
  const switching = s.progress.filter((p) => p.deploymentId === 'dep-next1' && p.phase === 'switch').map((p) => p.message);
  assert.deepEqual(switching, ['dep-next1 serves outpost-tiny; withdrawing dep-test1 from the router', 'waiting for the router to stop sending dep-test1 requests', 'draining dep-test1: 2 request(s) in flight', 'dep-test1 drained; stopping it']);
  assert.deepEqual(s.actions(), ['workers.rollout-started', 'workers.rolled-out']);

  const back = await s.service.rollback({ deployment: 'dep-next1', deploymentId: 'dep-back1' });
  assert.equal(back.modelVersion, '1');
  assert.equal(back.planId, 'plan-test1', "version 1's own plan, its file kept");
  assert.match(back.apiUrl ?? '', /:8181$/);
  assert.deepEqual(back.rollout, { availableVersion: '2', rollbackTo: null, detail: 'rolled back outpost-tiny 2 → 1: dep-back1 serves, dep-next1 stopped' });
  assert.equal(s.service.get('dep-next1').state, 'stopped');
  assert.deepEqual([...s.routes.keys()], ['dep-back1']);
  assert.deepEqual(s.actions(), ['workers.rollout-started', 'workers.rolled-out', 'workers.rollback-started', 'workers.rolled-back']);
});

test('version 2 fails its test prompt: version 1 keeps serving, version 2 is stopped, journaled and said', async () => {
  const s = await serving();
  Object.assign(s.head, {
    prompt: async (apiUrl: string) => {
      if (apiUrl.endsWith(':8182')) throw new Error('the model answered with an empty completion');
      return { text: 'Hello, site.', tokens: 4, tokensPerSecond: 40, ttftMs: 5 };
    },
  });
  await assert.rejects(
    s.service.rollout({ deployment: 'dep-test1', to: '2', deploymentId: 'dep-next1' }),
    (error: OutpostError) => error.code === 'UNAVAILABLE' && /rollout outpost-tiny 1 → 2 failed: .*empty completion; dep-test1 keeps serving version 1, dep-next1 was stopped/.test(error.message),
  );
  assert.equal(s.service.get('dep-test1').state, 'ready');
  assert.equal(s.service.get('dep-next1').state, 'failed');
  assert.deepEqual([...s.routes.keys()], ['dep-test1']);
  assert.match(s.service.get('dep-test1').rollout?.detail ?? '', /keeps serving version 1/);
  assert.equal(s.service.get('dep-test1').rollout?.availableVersion, '2', 'still offered');
  assert.deepEqual(s.actions(), ['workers.rollout-started', 'workers.rollout-failed']);
  assert.equal(s.journal.find((e) => e.action === 'workers.rollout-failed')?.outcome, 'error');
});

test('cancelled while version 2 launches: it is stopped, version 1 serves on', async () => {
  const s = await serving();
  const controller = new AbortController();
  const progress = s.progress.push.bind(s.progress);
  s.progress.push = (...items) => {
    if (items.some((p) => p.deploymentId === 'dep-next1' && p.phase === 'start')) controller.abort();
    return progress(...items);
  };
  await assert.rejects(s.service.rollout({ deployment: 'dep-test1', to: '2', deploymentId: 'dep-next1' }, controller.signal), (error: OutpostError) => error.code === 'CANCELLED');
  assert.equal(s.service.get('dep-test1').state, 'ready');
  assert.equal(s.service.get('dep-next1').state, 'stopped');
  assert.deepEqual([...s.routes.keys()], ['dep-test1']);
});

test('cancelled while draining: version 1 is put back in the router, version 2 stopped', async () => {
  const controller = new AbortController();
  let polls = 0;
  const s = await serving({
    inFlight: () => {
      if (++polls === 3) controller.abort();
      return { applied: true, inFlight: 1 };
    },
  });
  await assert.rejects(s.service.rollout({ deployment: 'dep-test1', to: '2', deploymentId: 'dep-next1' }, controller.signal), (error: OutpostError) => error.code === 'CANCELLED' && /dep-test1 serves again, dep-next1 was stopped/.test(error.message));
  assert.equal(s.service.get('dep-test1').state, 'ready');
  assert.equal(s.service.get('dep-test1').endpoint, 'dep-test1');
  assert.equal(s.service.get('dep-next1').state, 'stopped');
  assert.deepEqual([...s.routes.keys()], ['dep-test1']);
});

test('a drain that does not finish in time: the old one is stopped anyway, and the result says how many requests were cut', async () => {
  const s = await serving({ inFlight: () => ({ applied: true, inFlight: 3 }), drainTimeoutMs: 1_000 });
  const next = await s.service.rollout({ deployment: 'dep-test1', to: '2', deploymentId: 'dep-next1' });
  assert.equal(s.service.get('dep-test1').state, 'stopped');
  assert.match(next.rollout?.detail ?? '', /3 request\(s\) were still running on dep-test1 when the drain timed out/);
});

test('bad requests are refused before anything starts', async () => {
  const s = await serving();
  await assert.rejects(s.service.rollout({ deployment: 'dep-test1', to: '1' }), (e: OutpostError) => e.code === 'CONFLICT' && /already runs outpost-tiny version 1/.test(e.message));
  await assert.rejects(s.service.rollout({ deployment: 'dep-test1', to: '7' }), (e: OutpostError) => e.code === 'NOT_FOUND' && /has no version "7"/.test(e.message) && /HQ released: 1, 2/.test(e.hint ?? ''));
  await assert.rejects(s.service.rollback({ deployment: 'dep-test1' }), (e: OutpostError) => e.code === 'PRECONDITION' && /nothing to roll back to/.test(e.message));
  assert.deepEqual(s.actions(), []);
  assert.deepEqual([...s.routes.keys()], ['dep-test1']);
});
