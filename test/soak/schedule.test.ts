import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_KINDS, FaultSchedule, SSHD_STOP_MS, parseFaultList } from './schedule.js';

const SHAPE = { deployments: 2, hosts: 4, calmMs: [2_000, 5_000], diskFullMs: [5_000, 12_000] } as const;

test('the same seed gives the same faults, another seed another order', () => {
  const draw = (seed: number) =>
    Array.from(
      { length: 20 },
      (
        (s) => () =>
          s.next()
      )(new FaultSchedule(seed, SHAPE)),
    );
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(
    draw(7).map((f) => f.kind),
    draw(8).map((f) => f.kind),
  );
});

test('every round holds every kind once, aimed within the site, held as long as the kind needs', () => {
  const schedule = new FaultSchedule(3, SHAPE);
  for (let round = 0; round < 4; round += 1) {
    assert.equal(schedule.completedRounds, round);
    const faults = FAULT_KINDS.map(() => schedule.next());
    assert.deepEqual(new Set(faults.map((f) => f.kind)), new Set(FAULT_KINDS));
    for (const f of faults) {
      assert.ok(f.calmMs >= 2_000 && f.calmMs <= 5_000);
      const bound = f.kind.endsWith('-kill') && !['router-kill', 'core-kill'].includes(f.kind) ? 2 : f.kind.startsWith('sshd') ? 4 : 1;
      assert.ok(f.target >= 0 && f.target < bound, `${f.kind} → ${f.target}`);
      if (f.kind === 'sshd-stop') assert.equal(f.holdMs, SSHD_STOP_MS);
      else if (f.kind === 'disk-full') assert.ok(f.holdMs >= 5_000 && f.holdMs <= 12_000);
      else assert.equal(f.holdMs, 0);
    }
  }
});

test('a kind this machine cannot inject is left out of every round', () => {
  const kinds = FAULT_KINDS.filter((k) => k !== 'disk-full');
  const schedule = new FaultSchedule(5, SHAPE, kinds);
  const faults = Array.from({ length: kinds.length * 3 }, () => schedule.next());
  assert.ok(faults.every((f) => f.kind !== 'disk-full'));
  assert.equal(schedule.completedRounds, 3);
});

test('a named list replays its faults in order, with the targets it names', () => {
  const schedule = new FaultSchedule(9, SHAPE, FAULT_KINDS, parseFaultList('rpc-kill:1, clock-back,head-kill:0'));
  const faults = [schedule.next(), schedule.next(), schedule.next()];
  assert.deepEqual(
    faults.map((f) => [f.kind, f.target]),
    [
      ['rpc-kill', 1],
      ['clock-back', 0],
      ['head-kill', 0],
    ],
  );
  assert.equal(schedule.completedRounds, 1);
  assert.throws(() => parseFaultList('rpc-kill,reboot'), /"reboot" is not a fault/);
  assert.throws(() => parseFaultList('rpc-kill:x'), /not a whole number/);
});
