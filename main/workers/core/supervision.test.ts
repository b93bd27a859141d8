import assert from 'node:assert/strict';
import test from 'node:test';
import { backoffMs, judge, type ObservedWorker } from './supervision.js';

const w = (name: string, role: ObservedWorker['role'], alive: boolean | null, node = 'a'): ObservedWorker => ({ name, role, node, alive });

test('backoff doubles from the base and stops at the cap', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10, 100].map((n) => backoffMs(n, 500, 4000)),
    [500, 1000, 2000, 4000, 4000, 4000, 4000],
  );
});

test('a dead head alone restarts alone; a dead RPC member or tunnel restarts the pipeline; an unreachable host degrades', () => {
  assert.deepEqual(judge([w('head', 'head', false), w('rpc-1', 'rpc', true)], null, 0, 3), { kind: 'restart-workers', workers: ['head'], reason: 'head exited' });
  assert.equal(judge([w('head', 'head', true), w('rpc-1', 'rpc', false, 'b')], true, 0, 3).kind, 'restart-pipeline');
  assert.equal(judge([w('head', 'head', true), w('tunnel-1', 'tunnel', false)], true, 0, 3).kind, 'restart-pipeline');
  assert.deepEqual(judge([w('head', 'head', true), w('rpc-1', 'rpc', null, 'b')], true, 0, 3), { kind: 'unreachable', nodes: ['b'], reason: 'cannot reach b over SSH' });
  assert.equal(judge([w('head', 'head', true)], false, 2, 3).kind, 'healthy');
  assert.equal(judge([w('head', 'head', true)], false, 3, 3).kind, 'restart-pipeline');
});
