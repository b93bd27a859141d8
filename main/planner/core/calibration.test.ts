import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bruteForcePlans, bruteRoundMs, judgePlan } from '../../../test/helpers/plan-brute-force.js';
import type { CalibrationSample, StoredCalibration } from '../../../shared/domain/calibration.js';
import { factorProblem } from '../../../shared/domain/calibration.js';
import { effectiveRecords, foldSamples, keyOf, ratioProblem } from './calibration.js';
import { planShards } from './plan-shards.js';

const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

const sample = (memory: [number, number] | null, speed: [number, number] | null, at = '2026-12-05T01:00:00.000Z', gpu = 'L40S'): CalibrationSample => ({
  gpu,
  engine: 'llama.cpp',
  quant: 'Q4_K_M',
  deploymentId: 'dep-aaaa',
  site: 'site-a',
  at,
  memory: memory && { actualBytes: memory[0], estimatedBytes: memory[1] },
  speed: speed && { actualTokensPerSecond: speed[0], estimatedTokensPerSecond: speed[1] },
});

test('a sample that is negative, not finite, or more than 10× off either way is rejected with its reason and moves nothing', () => {
  const absurd: Array<[string, CalibrationSample, RegExp]> = [
    ['negative memory', sample([-5, 100], null), /measured stage memory \(bytes\) is -5, not a positive finite number/],
    ['zero tokens/s', sample(null, [0, 40]), /measured tokens\/s is 0/],
    ['NaN memory', sample([Number.NaN, 100], null), /NaN, not a positive finite number/],
    ['infinite speed', sample(null, [Number.POSITIVE_INFINITY, 40]), /Infinity/],
    ['11× above', sample([1100, 100], null), /11\.0× above the estimate/],
    ['12.5× below', sample(null, [4, 50]), /12\.5× below the estimate/],
    ['estimate of zero', sample([10, 0], null), /estimated stage memory \(bytes\) is 0/],
  ];
  for (const [label, s, reason] of absurd) {
    const { records, verdict } = foldSamples(new Map(), [s]);
    assert.equal(records.size, 0, `${label}: nothing recorded`);
    assert.equal(verdict.accepted.length, 0, label);
    assert.equal(verdict.rejected.length, 1, label);
    assert.match(verdict.rejected[0]!.reason, reason, label);
  }
  assert.equal(ratioProblem(1000, 100, 'x'), null, 'exactly 10× is still a measurement');
  assert.equal(ratioProblem(10, 100, 'x'), null);
});

test('one absurd figure of a sample does not discard its sound one; accepted ratios average per key with provenance, newest first', () => {
  const first = foldSamples(new Map(), [sample([120, 100], [500, 40])]);
  assert.deepEqual(
    first.verdict.rejected.map((r) => r.what),
    ['speed'],
  );
  const record = first.records.get(keyOf({ gpu: 'L40S', engine: 'llama.cpp', quant: 'Q4_K_M' }))!;
  assert.equal(record.memoryFactor, 1.2);
  assert.equal(record.speedFactor, null);
  assert.equal(record.speedSamples, 0);
  const second = foldSamples(first.records, [{ ...sample([80, 100], [20, 40], '2026-12-05T02:00:00.000Z'), deploymentId: 'dep-bbbb' }]);
  const merged = second.records.get(keyOf(record))!;
  assert.ok(same(merged.memoryFactor!, 1.0));
  assert.equal(merged.memorySamples, 2);
  assert.equal(merged.speedFactor, 0.5);
  assert.equal(merged.measuredAt, '2026-12-05T02:00:00.000Z');
  assert.deepEqual(
    merged.provenance.map((p) => p.deploymentId),
    ['dep-bbbb', 'dep-aaaa'],
  );
});

const stored = (origin: 'site' | 'hq', measuredAt: string, speedFactor: number): StoredCalibration => ({
  gpu: 'L40S',
  engine: 'llama.cpp',
  quant: 'Q4_K_M',
  memoryFactor: null,
  memorySamples: 0,
  speedFactor,
  speedSamples: 1,
  measuredAt,
  provenance: [{ deploymentId: 'dep-x', site: origin === 'site' ? 'here' : 'elsewhere', at: measuredAt, memoryRatio: null, speedRatio: speedFactor }],
  origin,
});

test("HQ's record is used only where it rests on a newer measurement than the site's own; absurd records are never used", () => {
  const id = keyOf({ gpu: 'L40S', engine: 'llama.cpp', quant: 'Q4_K_M' });
  assert.equal(effectiveRecords([stored('site', '2026-12-02', 0.8), stored('hq', '2026-12-01', 0.6)]).get(id)?.origin, 'site');
  assert.equal(effectiveRecords([stored('site', '2026-12-02', 0.8), stored('hq', '2026-12-03', 0.6)]).get(id)?.origin, 'hq');
  assert.equal(effectiveRecords([stored('hq', '2026-12-02', 0.6), stored('site', '2026-12-02', 0.8)]).get(id)?.origin, 'site', 'a tie keeps the site’s own');
  assert.equal(effectiveRecords([stored('hq', '2026-12-09', 40)]).size, 0);
  assert.match(factorProblem(stored('hq', '2026-12-09', 40)) ?? '', /L40S llama\.cpp Q4_K_M: speedFactor 40 is outside/);
});

test('a calibrated plan scales the cost table by the factors, names them, and stays the exact optimum of that table', () => {
  const request = { model: 'llama-3.1-70b', quant: 'Q4_K_M', context: 4096, parallel: 4, devices: ['A100-80GB', 'L40S', 'T4', 'A10G'].map((gpu) => ({ gpu })), whatIf: false };
  const bare = planShards(request);
  const record: StoredCalibration = { ...stored('site', '2026-12-05T01:00:00.000Z', 0.5), memoryFactor: 1.25, memorySamples: 2 };
  const calibrated = planShards(request, undefined, { engine: 'llama.cpp', records: effectiveRecords([record]) });
  assert.ok(bare.feasible && calibrated.feasible);
  assert.deepEqual(bare.calibration, []);
  assert.equal(calibrated.calibration.length, 1);
  assert.deepEqual({ gpu: calibrated.calibration[0]!.gpu, memory: calibrated.calibration[0]!.memoryFactor, speed: calibrated.calibration[0]!.speedFactor, origin: calibrated.calibration[0]!.origin }, { gpu: 'L40S', memory: 1.25, speed: 0.5, origin: 'site' });
  assert.ok(calibrated.explanation.some((line) => /^Calibrated: L40S llama\.cpp Q4_K_M plans with memory ×1\.25 and speed ×0\.50 \(2 measured samples, this site's own/.test(line)));
  const row = (plan: typeof bare, gpu: string) => plan.costTable.devices.find((d) => d.gpu === gpu)!;
  assert.ok(same(row(calibrated, 'L40S').layerMs, row(bare, 'L40S').layerMs / 0.5));
  assert.ok(same(row(calibrated, 'L40S').layerBytes, row(bare, 'L40S').layerBytes * 1.25));
  assert.ok(same(row(calibrated, 'A100-80GB').layerMs, row(bare, 'A100-80GB').layerMs), 'other devices keep the bare model');
  // The optimiser and the brute force read the same calibrated table.
  const best = bruteForcePlans(calibrated.costTable, [4]).throughput.get(4);
  const mine = judgePlan(
    calibrated.costTable,
    calibrated.stages.map((s) => s.deviceId),
    calibrated.stages.map((s) => s.layerCount),
  );
  assert.ok(best && mine && same(bruteRoundMs(4, mine), best.roundMs));
  const l40s = calibrated.stages.find((s) => s.gpu === 'L40S');
  if (l40s) assert.ok(l40s.memory.totalBytes <= l40s.memory.usableBytes, 'memory checks use the calibrated bytes');
});
