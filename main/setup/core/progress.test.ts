import assert from 'node:assert/strict';
import test from 'node:test';
import { checkConfirmation, confirmationsFromJournal, setupState, type SetupFacts } from './progress.js';

const KEY = 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const OTHER = 'SHA256:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg';
const fresh: SetupFacts = { identity: null, hqPeers: [], nodes: [], confirmations: [] };
const identity = { siteId: 'site-a', sshFingerprint: KEY };
const done = (facts: SetupFacts) =>
  setupState(facts)
    .steps.filter((s) => s.done)
    .map((s) => s.id);

test('a fresh data dir needs the first visit and starts at the identity', () => {
  const state = setupState(fresh);
  assert.equal(state.needed, true);
  assert.equal(state.current, 'identity');
  assert.deepEqual(
    state.steps.map((s) => `${s.id}:${s.page}`),
    ['identity:overview', 'ssh-key:nodes', 'hq-trust:sync', 'scan:nodes', 'host-keys:nodes', 'inventory:nodes'],
  );
});

test('each step follows what the services hold, and the SSH key step only the confirmation of the current key', () => {
  assert.equal(setupState({ ...fresh, identity }).current, 'ssh-key');
  assert.equal(setupState({ ...fresh, identity, confirmations: [{ step: 'ssh-key', fingerprint: OTHER }] }).current, 'ssh-key', 'a rotated key must be put on the hosts again');
  const keyed = { ...fresh, identity, confirmations: [{ step: 'ssh-key' as const, fingerprint: KEY }] };
  assert.equal(setupState(keyed).current, 'hq-trust');
  const trusted = { ...keyed, hqPeers: ['hq-main'] };
  assert.equal(setupState(trusted).current, 'scan');
  assert.equal(setupState(trusted).needed, true, 'no node yet');
  const scanned = { ...trusted, nodes: [{ name: 'gpu-1', hostKeyChanged: false }] };
  assert.equal(setupState(scanned).needed, false);
  assert.equal(setupState(scanned).current, 'host-keys');
  const reviewed = { ...scanned, confirmations: [...scanned.confirmations, { step: 'host-keys' as const }] };
  assert.equal(setupState(reviewed).current, 'inventory');
  assert.deepEqual(done(reviewed), ['identity', 'ssh-key', 'hq-trust', 'scan', 'host-keys', 'inventory']);
});

test('a changed host key waiting re-opens the review and names the node', () => {
  const facts: SetupFacts = {
    identity,
    hqPeers: ['hq-main'],
    nodes: [
      { name: 'gpu-1', hostKeyChanged: false },
      { name: 'cpu-2', hostKeyChanged: true },
    ],
    confirmations: [{ step: 'ssh-key', fingerprint: KEY }, { step: 'host-keys' }],
  };
  const state = setupState(facts);
  assert.equal(state.current, 'host-keys');
  assert.match(state.steps.find((s) => s.id === 'host-keys')?.detail ?? '', /cpu-2 presented a changed host key/);
});

test('a confirmation is refused for a key that is not the current one, and a review while a changed key waits', () => {
  assert.throws(() => checkConfirmation({ step: 'ssh-key', fingerprint: KEY }, fresh), { code: 'PRECONDITION' });
  assert.throws(() => checkConfirmation({ step: 'ssh-key', fingerprint: OTHER }, { ...fresh, identity }), { code: 'CONFLICT', message: /not the SHA256:ABC/ });
  assert.doesNotThrow(() => checkConfirmation({ step: 'ssh-key', fingerprint: KEY }, { ...fresh, identity }));
  assert.throws(() => checkConfirmation({ step: 'host-keys' }, { ...fresh, identity }), { code: 'PRECONDITION', message: /no node has been scanned/ });
  assert.throws(() => checkConfirmation({ step: 'host-keys' }, { ...fresh, identity, nodes: [{ name: 'cpu-2', hostKeyChanged: true }] }), { code: 'CONFLICT', message: /cpu-2 presented a changed host key/ });
});

test('confirmations are read back from the journal: successful setup.confirm entries only', () => {
  const entries = [
    { action: 'setup.confirm', outcome: 'ok', input: { step: 'ssh-key', fingerprint: KEY } },
    { action: 'setup.confirm', outcome: 'error', input: { step: 'host-keys' } },
    { action: 'identity.init', outcome: 'ok', input: {} },
    { action: 'setup.confirm', outcome: 'ok', input: { step: 'nonsense' } },
  ];
  assert.deepEqual(confirmationsFromJournal(entries), [{ step: 'ssh-key', fingerprint: KEY }]);
});
