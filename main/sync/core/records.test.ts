import assert from 'node:assert/strict';
import test from 'node:test';
import { canonicalJson, decide, type CurrentValue, type VersionedValue } from './records.js';

/** Applies values in order with the merge rule and returns the final state. */
function converge(values: VersionedValue[]): Map<string, CurrentValue> {
  const state = new Map<string, CurrentValue>();
  for (const v of values) {
    const id = `${v.kind}/${v.key}`;
    if (decide(v, state.get(id)).apply) state.set(id, { ...v, origin: 'imported' });
  }
  return state;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

test('every import order of the same records reaches the same state', () => {
  const values: VersionedValue[] = [
    { kind: 'policy', key: 'p', version: 1, issuer: 'hq-a', valueDigest: 'aa' },
    { kind: 'policy', key: 'p', version: 2, issuer: 'hq-a', valueDigest: 'bb' },
    { kind: 'policy', key: 'p', version: 2, issuer: 'hq-b', valueDigest: 'cc' },
    { kind: 'model', key: 'm', version: 3, issuer: 'hq-a', valueDigest: '01' },
    { kind: 'model', key: 'm', version: 1, issuer: 'hq-a', valueDigest: '02' },
  ];
  const states = permutations(values).map((order) => JSON.stringify([...converge(order).entries()].sort()));
  assert.equal(new Set(states).size, 1);
  assert.match(states[0] ?? '', /"valueDigest":"cc"/, 'the equal-version conflict is settled by the larger digest');
});

test('a lower version is superseded, the same one unchanged, a higher one replaces a local edit as a conflict', () => {
  const current: CurrentValue = { kind: 'policy', key: 'p', version: 2, issuer: 'site-a', valueDigest: 'aa', origin: 'local' };
  assert.equal(decide({ ...current, version: 1 }, current).change, 'superseded');
  assert.equal(decide({ ...current }, current).change, 'unchanged');
  const newer = decide({ ...current, version: 3, issuer: 'hq', valueDigest: 'bb' }, current);
  assert.deepEqual([newer.change, newer.apply], ['conflict', true]);
  assert.match(newer.resolution ?? '', /higher version wins/);
});

test('canonical JSON does not depend on key order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
});
