import assert from 'node:assert/strict';
import test from 'node:test';
import type { ModelFile } from '../../shared/domain/discovery.js';
import { sparseSource } from '../../test/fixtures/gguf/gguf-writer.js';
import { MODEL_SHAPES, simulatedGguf } from '../../test/fixtures/simulated-site/model-headers.js';
import { openDatabase } from '../platform/store/index.js';
import { CalibrationRepository } from './adapters/calibration-repository.js';
import { PlanRepository } from './adapters/plan-repository.js';
import { readGgufHeader } from './core/gguf-header.js';
import { PlannerService } from './service.js';

const Q5 = '/m/llama-3.1-8b-instruct-Q5_K_M.gguf';
const Q4 = '/m/llama-3.1-8b-instruct-Q4_K_M.gguf';
const HEADERS: Record<string, ReturnType<typeof simulatedGguf>> = {
  [Q5]: simulatedGguf({ ...MODEL_SHAPES['llama-3.1-8b'], quant: 'Q5_K_M' }),
  [Q4]: simulatedGguf(MODEL_SHAPES['llama-3.1-8b']),
};

/** Nodes a and b, 4 GB each: the 8B model at Q5_K_M needs both; at Q4_K_M it fits… only where the test says. */
function planner(held: Record<string, string[]>, memoryGB = 4) {
  const files = (node: string): ModelFile[] => (held[node] ?? []).map((path) => ({ path, format: 'gguf', sizeBytes: HEADERS[path]?.fileSize ?? 0, headerDigest: `digest of ${path}` }));
  const db = openDatabase(':memory:');
  const service = new PlannerService({
    deploymentsUsing: () => [],
    plans: new PlanRepository(db),
    calibration: new CalibrationRepository(db),
    journal: { record: () => undefined },
    inventory: () => [],
    nodeModelFiles: files,
    readNodeGguf: async (_node, path) => {
      const written = HEADERS[path] as ReturnType<typeof simulatedGguf>;
      return { header: await readGgufHeader(sparseSource(written.header, written.fileSize)), sizeBytes: written.fileSize, headerDigest: `digest of ${path}`, bytesRead: 0 };
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  const devices = ['a', 'b'].map((node) => ({ gpu: 'CPU', node, count: 1, memoryGB, bandwidthGBs: 100 }));
  const original = () =>
    service.plan({
      nodeModel: { node: 'a', path: Q5 },
      context: 2048,
      parallel: 1,
      objective: 'throughput',
      utilisation: 0.9,
      calibrate: true,
      devices,
      nodes: [
        { name: 'a', nicGbps: 10, nicLatencyMs: 0.2 },
        { name: 'b', nicGbps: 10, nicLatencyMs: 0.2 },
      ],
      inventoryNodes: [],
      save: true,
    });
  return { service, original };
}

test('re-planning keeps the quantisation; it falls back to a smaller one a surviving host holds only where the policy allows it', async () => {
  const { service, original } = planner({ a: [Q5, Q4] }, 9.2);
  const { planId, plan } = await original();
  assert.ok(planId && plan.feasible && plan.stages.length === 2, plan.feasible ? `${plan.stages.length} stages` : plan.reason);

  const kept = await service.planWithout(planId, ['b'], { smallerQuant: false });
  assert.equal(kept.plan.feasible, false);
  assert.equal(kept.planId, null);
  assert.match(kept.note ?? '', /Re-planning keeps Q5_K_M: a smaller quantisation the site holds is tried only where its policy allows it/);

  const smaller = await service.planWithout(planId, ['b'], { smallerQuant: true });
  assert.ok(smaller.planId && smaller.plan.feasible, smaller.plan.feasible ? '' : smaller.plan.reason);
  assert.equal(smaller.plan.model.quant, 'Q4_K_M');
  assert.deepEqual(
    smaller.plan.stages.map((s) => s.node),
    ['a'],
  );
  assert.deepEqual(smaller.plan.model.nodeFile?.path, Q4);
  assert.match(smaller.note ?? '', /fell back from Q5_K_M to Q4_K_M, the copy a holds \(\/m\/llama-3\.1-8b-instruct-Q4_K_M\.gguf\)/);
  assert.equal(service.get(smaller.planId).plan.model.quant, 'Q4_K_M', 'stored for the launch');
});

test('no smaller quantisation held on the surviving hosts: said so', async () => {
  const { service, original } = planner({ a: [Q5], b: [Q4] }, 9.2);
  const { planId } = await original();
  assert.ok(planId);
  const none = await service.planWithout(planId, ['b'], { smallerQuant: true });
  assert.equal(none.plan.feasible, false);
  assert.equal(none.note, 'Re-planning tried a smaller quantisation: the surviving hosts hold no smaller quantisation of this model');
});

test('nothing of the plan survives, or its model file was on the lost host: refused with the reason', async () => {
  const { service, original } = planner({ a: [Q5] }, 9.2);
  const { planId } = await original();
  assert.ok(planId);
  await assert.rejects(service.planWithout(planId, ['a', 'b'], { smallerQuant: true }), /no hardware of plan .* survives without a, b/);
  await assert.rejects(service.planWithout(planId, ['a'], { smallerQuant: true }), /loads \/m\/llama-3\.1-8b-instruct-Q5_K_M\.gguf from a, which is lost/);
});
