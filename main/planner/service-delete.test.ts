import assert from 'node:assert/strict';
import test from 'node:test';
import { Journal, openDatabase } from '../platform/store/index.js';
import { Dispatcher, callContext, type Handlers } from '../platform/dispatcher.js';
import { CalibrationRepository } from './adapters/calibration-repository.js';
import { PlanRepository } from './adapters/plan-repository.js';
import { plannerHandlers } from './handlers.js';
import { PlannerService } from './service.js';

/** A planner whose live deployments the test sets, as workers would answer through the port. */
function planner() {
  const db = openDatabase(':memory:');
  const using = new Map<string, string[]>();
  const journal = new Journal(db, () => new Date('2026-01-01T00:00:00Z'));
  const service = new PlannerService({
    plans: new PlanRepository(db),
    calibration: new CalibrationRepository(db),
    journal,
    inventory: () => [],
    nodeModelFiles: () => null,
    readNodeGguf: () => Promise.reject(new Error('not in this test')),
    now: () => new Date('2026-01-01T00:00:00Z'),
    deploymentsUsing: (id) => using.get(id) ?? [],
  });
  const dispatcher = new Dispatcher(plannerHandlers(service) as unknown as Handlers, journal, { info: () => undefined, error: () => undefined });
  const saved = async () =>
    (await service.plan({ model: 'Llama-3.1-8B', quant: 'Q4_K_M', context: 2048, parallel: 1, objective: 'throughput', utilisation: 0.9, devices: [{ gpu: 'A100-80GB', count: 1 }], nodes: [], inventoryNodes: [], save: true, calibrate: false }))
      .planId as string;
  return { service, dispatcher, using, journal, saved };
}

test('a stored plan is deleted and journaled; it is gone from the list, and deleting it again says there is none', async () => {
  const p = planner();
  const id = await p.saved();
  const envelope = await p.dispatcher.invoke('planner.delete', { id }, callContext('ui'));
  assert.deepEqual(envelope, { ok: true, result: { id } });
  assert.deepEqual(p.service.list(50), []);
  assert.deepEqual(
    p.journal.recent(10).map((e) => [e.action, e.outcome]),
    [['planner.delete', 'ok']],
  );
  assert.throws(() => p.service.delete(id), { code: 'NOT_FOUND', message: new RegExp(`there is no plan ${id}`) });
});

test('a plan a live deployment uses is not deleted: the refusal names the deployment and says what to do', async () => {
  const p = planner();
  const id = await p.saved();
  p.using.set(id, ['dep-abc123']);
  assert.throws(
    () => p.service.delete(id),
    (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'CONFLICT');
      assert.equal(error.message, `plan ${id} is used by deployment dep-abc123`);
      assert.match(error.hint ?? '', /stop it on the Workers page \(or `outpost stop dep-abc123`\), then delete the plan/);
      return true;
    },
  );
  assert.equal(p.service.list(50).length, 1, 'nothing deleted');
  p.using.set(id, []);
  assert.deepEqual(p.service.delete(id), { id });
});
