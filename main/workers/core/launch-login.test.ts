import assert from 'node:assert/strict';
import test from 'node:test';
import { launchLogin } from './launch-login.js';

const local = () => 'tech';

test('the login that inventoried the nodes is the default, a node without a kept login follows the others', () => {
  const logins: Record<string, string | null> = { a: 'ops', b: null };
  assert.deepEqual(
    launchLogin(['a', 'b'], (n) => logins[n] ?? null, local),
    {
      user: 'ops',
      from: 'inventory',
      nodes: [
        { node: 'a', login: 'ops' },
        { node: 'b', login: null },
      ],
      problem: null,
    },
  );
});

test("nodes that kept no login fall back to this workstation's user, and say so", () => {
  assert.deepEqual(
    launchLogin(['a'], () => null, local),
    { user: 'tech', from: 'workstation', nodes: [{ node: 'a', login: null }], problem: null },
  );
});

test('nodes inventoried as different logins have no default, and the problem names each', () => {
  const logins: Record<string, string> = { a: 'ops', b: 'jetson' };
  const login = launchLogin(['a', 'b'], (n) => logins[n] ?? null, local);
  assert.equal(login.user, null);
  assert.match(login.problem ?? '', /inventoried as different logins \(a: ops, b: jetson\)/);
});
