import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultOf, figureRows, formatRows, percentile, type FaultRecord, type RequestRecord, type SoakOutcome } from './figures.js';
import { FAULT_KINDS } from './schedule.js';

const request = (startedAt: number, ttft: number | null, ok = true): RequestRecord => ({ startedAt, firstTokenAt: ttft === null ? null : startedAt + ttft, endedAt: startedAt + 500, ok, endpoint: 'dep-a', error: ok ? null : 'cut' });
const fault = (kind: FaultRecord['kind'], injectedAt: number, recoveredAt: number | null, restartsJournaled = 1): FaultRecord => ({ kind, target: 'x', injectedAt, undoneAt: injectedAt, recoveredAt, restartsJournaled, note: null });

function outcome(patch: Partial<SoakOutcome>): SoakOutcome {
  return {
    requests: [request(0, 50)],
    faults: FAULT_KINDS.map((k, i) => fault(k, 10_000 * (i + 1), 10_000 * (i + 1) + 3_000, ['head-kill', 'rpc-kill', 'tunnel-kill'].includes(k) ? 1 : 0)),
    kinds: FAULT_KINDS,
    skipped: [],
    notInjected: [],
    migrated: null,
    unexpectedCoreExits: [],
    leftovers: [],
    integrity: 'ok',
    gaps: [],
    recoveryTimeoutMs: 60_000,
    ...patch,
  };
}

const row = (rows: ReturnType<typeof figureRows>, figure: string) => rows.find((r) => r.figure === figure);

test('percentiles are nearest-rank', () => {
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([30, 10, 20], 50), 20);
  assert.equal(
    percentile(
      [...Array(100).keys()].map((i) => i + 1),
      99,
    ),
    99,
  );
});

test('a request falls under the fault it started in, up to that fault’s recovery or its timeout', () => {
  const faults = [fault('rpc-kill', 1_000, 4_000), fault('sshd-stop', 10_000, null)];
  assert.equal(faultOf(request(500, 10), faults, 60_000), undefined);
  assert.equal(faultOf(request(2_000, 10), faults, 60_000)?.kind, 'rpc-kill');
  assert.equal(faultOf(request(5_000, 10), faults, 60_000), undefined);
  assert.equal(faultOf(request(69_000, 10), faults, 60_000)?.kind, 'sshd-stop');
});

test('all targets met: every row ✓ or informational', () => {
  const rows = figureRows(outcome({}));
  assert.ok(
    rows.every((r) => r.met !== false),
    formatRows(rows),
  );
  assert.equal(row(rows, 'migrated')?.value, 'n/a');
});

test('failures are told apart by the first token and attributed to their fault', () => {
  const rows = figureRows(outcome({ requests: [request(0, 40), request(40_500, null, false), request(40_600, null, false), request(20_100, 30, false)] }));
  assert.deepEqual(row(rows, 'failed before the first token'), { figure: 'failed before the first token', value: '2 (sshd-stop 2)', target: '0', met: false });
  assert.equal(row(rows, 'failed after the first token')?.value, '1 (rpc-kill 1)');
  assert.match(row(rows, 'TTFT without faults')?.value ?? '', /^p50 40 ms, p99 40 ms \(1 requests\)$/);
});

test('a fault not recovered, a worker kill without a journaled restart, a core kill with one, leftovers and a filled gap miss their targets', () => {
  const faults = [fault('head-kill', 1_000, null, 0), fault('core-kill', 70_000, 75_000, 2)];
  const rows = figureRows(
    outcome({
      faults,
      leftovers: ['llama-server 123'],
      integrity: 'database disk image is malformed',
      gaps: [
        { fault: 'core-kill #2', series: 'workstation mem.total', downSeconds: 3, filledSeconds: [71], resumed: true },
        { fault: 'router-kill #3', series: 'router router.inflight', downSeconds: 0, filledSeconds: [], resumed: true },
      ],
    }),
  );
  const missed = rows.filter((r) => r.met === false).map((r) => r.figure);
  assert.deepEqual(missed, [
    'faults injected',
    'recovery: head-kill',
    'restarts journaled: head-kill',
    'restarts journaled: core-kill',
    'processes left after the final stop',
    'store PRAGMA integrity_check',
    'telemetry gap: workstation mem.total across core-kill #2',
  ]);
  assert.equal(row(rows, 'telemetry gap: router router.inflight across router-kill #3')?.met, null, 'a window too short to check is not a pass');
  assert.match(formatRows(rows), /^✗ faults injected/m);
});

test('a kind skipped for a reason of the machine still counts as covered; one the site could not take does not', () => {
  const faults = outcome({}).faults.filter((f) => f.kind !== 'disk-full');
  assert.equal(row(figureRows(outcome({ faults, skipped: [{ kind: 'disk-full', reason: 'mount not permitted' }] })), 'faults injected')?.met, true);
  assert.equal(row(figureRows(outcome({ notInjected: [{ kind: 'head-kill', reason: 'no head running' }] })), 'faults injected')?.met, false);
});
