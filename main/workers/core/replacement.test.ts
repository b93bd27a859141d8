import assert from 'node:assert/strict';
import test from 'node:test';
import type { PlanResult } from '../../../shared/domain/planner.js';
import { FakeLock, fakeWorkers, twoStagePlan } from '../../../test/helpers/workers-fakes.js';
import type { WorkersDeps } from './ports.js';
import { noFitDetail } from './replacement.js';
import { Supervisor } from './supervisor.js';

const GRACE_MS = 30_000;
const ROUND_MS = 2000;

/** dep-test1 (head on a, rpc-1 on b) under a supervisor whose rounds the test runs, with the clock moved by hand. */
async function supervised(overrides: Partial<WorkersDeps> = {}) {
  const w = fakeWorkers(overrides);
  await w.launch();
  const supervisor = new Supervisor(w.service, { intervalMs: ROUND_MS, backoffBaseMs: 1000, backoffCapMs: 4000, unhealthyLimit: 3, stableMs: 60_000, replanGraceMs: GRACE_MS, lock: new FakeLock(), clock: w.clock, head: w.head, log: () => undefined });
  const round = async (advanceMs = ROUND_MS): Promise<void> => {
    w.clock.advance(advanceMs);
    await supervisor.round();
    await supervisor.settled();
  };
  const actions = (prefix = 'workers.replan'): string[] => w.journal.filter((e) => e.action.startsWith(prefix)).map((e) => e.action);
  const replacementId = (): string | undefined => w.service.list(true).find((d) => d.replan?.state === 'replacement')?.id;
  return { ...w, supervisor, round, actions, replacementId };
}

test('a host lost past the grace period: re-planned on the host left, traffic moved, the broken deployment stopped as replaced', async () => {
  const s = await supervised();
  s.site.unreachable.add('b');
  await s.round();
  assert.equal(s.service.get('dep-test1').state, 'degraded');
  assert.equal(s.service.get('dep-test1').replan?.state, 'waiting');
  assert.match(s.service.get('dep-test1').replan?.detail ?? '', /b cannot be reached; re-planned on the surviving hosts if still unreachable after 30 s/);
  await s.round(GRACE_MS - 2 * ROUND_MS);
  assert.deepEqual(s.actions(), [], 'nothing re-planned inside the grace period');

  // The replacement's endpoint may appear only once it serves: its head started, its test prompt answered.
  const registered: Array<{ name: string; headAlive: boolean; phases: string[] }> = [];
  const set = s.routes.set.bind(s.routes);
  s.routes.set = (name, url) => {
    registered.push({ name, headAlive: s.site.alive('head'), phases: s.progress.filter((p) => p.deploymentId === name).map((p) => p.phase) });
    return set(name, url);
  };
  await s.round(2 * ROUND_MS);
  const replacementId = s.replacementId();
  assert.ok(replacementId, 'a replacement was launched');
  const replacement = s.service.get(replacementId);
  assert.equal(replacement.state, 'ready');
  assert.equal(replacement.model, s.service.get('dep-test1').model, 'the same model name');
  assert.deepEqual(
    replacement.stages.map((st) => st.node),
    ['a'],
  );
  assert.equal(replacement.replan?.replaces, 'dep-test1');
  assert.match(replacement.apiUrl ?? '', /:8182$/, 'beside the original port, which a restore takes back');
  assert.deepEqual([...s.routes.keys()], [replacementId]);
  assert.equal(registered.length, 1);
  assert.equal(registered[0]?.headAlive, true);
  assert.ok(registered[0]?.phases.includes('test'), `registered after its test prompt: ${registered[0]?.phases.join(' ')}`);

  const broken = s.service.get('dep-test1');
  assert.equal(broken.state, 'stopped');
  assert.equal(broken.replan?.state, 'replaced');
  assert.equal(broken.replan?.replacedBy, replacementId);
  assert.match(broken.detail ?? '', new RegExp(`replaced by ${replacementId} \\(plan plan-replan1 on a\\): b unreachable`));
  assert.deepEqual(s.actions(), ['workers.replan-started', 'workers.replanned']);

  await s.round();
  await s.round();
  assert.deepEqual(s.actions(), ['workers.replan-started', 'workers.replanned'], 're-planned once');
});

test('a host back before the grace period ends: no re-plan, the deployment recovers as it was', async () => {
  const s = await supervised();
  s.site.unreachable.add('b');
  await s.round();
  await s.round(GRACE_MS - 2 * ROUND_MS);
  s.site.unreachable.delete('b');
  await s.round();
  assert.equal(s.service.get('dep-test1').state, 'ready');
  assert.equal(s.service.get('dep-test1').replan, null);
  await s.round(GRACE_MS * 2);
  assert.deepEqual(s.actions(), []);
  assert.equal(s.replacementId(), undefined);
});

test('no surviving hardware fits: the deployment stays degraded, says what would fit, journaled once', async () => {
  const base = twoStagePlan('a', 'b');
  const infeasible: PlanResult = {
    feasible: false,
    calibration: [],
    objective: base.objective,
    model: base.model,
    context: base.context,
    parallel: base.parallel,
    utilisation: base.utilisation,
    costTable: base.costTable,
    explanation: [],
    whatIf: [],
    baseline: base.baseline,
    reason: 'needs 5.1 GB, 3.2 GB usable; fits with Q2_K',
    needBytes: 5.1e9,
    usableBytes: 3.2e9,
    fitsWith: ['Q2_K'],
  };
  const note = 'Re-planning tried a smaller quantisation: the surviving hosts hold no smaller quantisation of this model';
  const s = await supervised({ replans: { planWithout: async () => ({ planId: null, plan: infeasible, note }) } });
  s.site.unreachable.add('b');
  await s.round();
  for (let i = 0; i < 5; i++) await s.round(GRACE_MS);
  const deployment = s.service.get('dep-test1');
  assert.equal(deployment.state, 'degraded');
  assert.equal(deployment.replan?.state, 'no-fit');
  assert.equal(deployment.replan?.detail, noFitDetail(infeasible, ['b'], note));
  assert.equal(deployment.replan?.detail, `no surviving hardware fits tiny model Q8_0 without b: needs 5.1 GB, 3.2 GB usable; fits with Q2_K; it would fit with Q2_K. ${note}`);
  assert.deepEqual(s.actions(), ['workers.replan-started', 'workers.replan-failed'], 'journaled once, not every round');
  assert.equal(s.replacementId(), undefined);
  assert.deepEqual(s.site.since(0, /start head/), ['a: start head'], 'nothing launched');
});

test('when the lost host answers again the replacement offers to go back; restore relaunches the original plan and moves the traffic back', async () => {
  const s = await supervised();
  s.site.unreachable.add('b');
  await s.round();
  await s.round(GRACE_MS);
  const replacementId = s.replacementId() as string;
  await assert.rejects(s.service.restore(replacementId), /b \(lost by dep-test1\) do not answer yet/);
  await s.round();
  assert.equal(s.service.get(replacementId).replan?.canRestore, false);

  s.site.unreachable.delete('b');
  await s.round();
  const offered = s.service.get(replacementId).replan;
  assert.equal(offered?.canRestore, true);
  assert.match(offered?.detail ?? '', new RegExp(`b answer again: \`outpost restore ${replacementId}\` launches the original plan plan-test1`));
  assert.equal(s.site.alive('rpc-1'), false, "the broken pipeline's rpc-server left on b is stopped");
  assert.deepEqual(s.actions('workers.restor'), ['workers.restorable']);

  const restored = await s.service.restore(replacementId);
  assert.equal(restored.state, 'ready');
  assert.equal(restored.planId, 'plan-test1');
  assert.match(restored.apiUrl ?? '', /:8181$/);
  assert.deepEqual([...s.routes.keys()], [restored.id]);
  assert.equal(s.service.get(replacementId).state, 'stopped');
  assert.deepEqual(s.actions('workers.restor'), ['workers.restorable', 'workers.restore-started', 'workers.restored']);
});
