import assert from 'node:assert/strict';
import test from 'node:test';
import type { JournalRecord } from '../platform/store/index.js';
import { Dispatcher, type Handlers } from '../platform/dispatcher.js';
import type { Logger } from '../platform/log.js';
import { OutpostError } from '../../shared/errors.js';

const context = { actor: 'cli' as const, user: 'tech' };
const silent: Logger = { info: () => undefined, error: () => undefined };

function dispatcherWith(overrides: Partial<Handlers>) {
  const journal: JournalRecord[] = [];
  const errors: string[] = [];
  const fail = () => {
    throw new Error('not wired in this test');
  };
  const handlers = {
    'system.status': fail,
    'system.service': fail,
    'system.journal': fail,
    'identity.show': fail,
    'identity.init': fail,
    'identity.rotate': fail,
    'discovery.local': fail,
    'discovery.workstation': fail,
    'discovery.scan': fail,
    'discovery.cancelScan': fail,
    'discovery.nodes': fail,
    'discovery.acceptHostKey': fail,
    'planner.catalog': fail,
    'planner.plan': fail,
    'planner.list': fail,
    'planner.get': fail,
    'planner.delete': fail,
    'planner.calibration': fail,
    'planner.models': fail,
    'router.endpoints.list': fail,
    'router.endpoints.add': fail,
    'router.endpoints.remove': fail,
    'router.keys.list': fail,
    'router.keys.add': fail,
    'router.keys.revoke': fail,
    'router.policy.show': fail,
    'router.policy.set': fail,
    'router.status': fail,
    'router.retries.journal': fail,
    'sync.trustExport': fail,
    'sync.trustInspect': fail,
    'sync.trustAdd': fail,
    'sync.trustList': fail,
    'sync.releaseModel': fail,
    'sync.releasePolicy': fail,
    'sync.releaseCalibration': fail,
    'sync.records': fail,
    'sync.export': fail,
    'sync.verify': fail,
    'sync.import': fail,
    'sync.exchanges': fail,
    'sync.cancel': fail,
    'sync.exportPlan': fail,
    'sync.drives': fail,
    'workers.launch': fail,
    'workers.list': fail,
    'workers.stop': fail,
    'workers.launchLogin': fail,
    'workers.restart': fail,
    'workers.logs': fail,
    'workers.restore': fail,
    'workers.prompt': fail,
    'workers.rollout': fail,
    'workers.rollback': fail,
    'telemetry.series': fail,
    'telemetry.sources': fail,
    'telemetry.alerts': fail,
    'telemetry.health': fail,
    'telemetry.acknowledge': fail,
    'telemetry.nodes': fail,
    'telemetry.dashboard': fail,
    'telemetry.settings.show': fail,
    'telemetry.settings.set': fail,
    'identity.sshPublicKey': fail,
    'sync.trustRemove': fail,
    'setup.state': fail,
    'setup.confirm': fail,
    'router.listen.show': fail,
    'router.listen.set': fail,
    'router.connect': fail,
    ...overrides,
  };
  const log: Logger = { ...silent, error: (message) => errors.push(message) };
  return { dispatcher: new Dispatcher(handlers, { record: (e) => journal.push(e) }, log), journal, errors };
}

test('input is validated by the contract before any service runs', async () => {
  let ran = false;
  const { dispatcher, journal } = dispatcherWith({
    'identity.init': () => {
      ran = true;
      throw new Error('unreachable');
    },
  });
  const envelope = await dispatcher.invoke('identity.init', { siteId: 'Bad Id!' }, context);
  assert.equal(envelope.ok, false);
  assert.ok(!envelope.ok && envelope.error.code === 'INVALID_INPUT');
  assert.match(!envelope.ok ? envelope.error.message : '', /^siteId: a site id is 3–64 characters/);
  assert.equal(ran, false);
  assert.equal(journal.length, 0, 'a refused input changes nothing, not even the journal');
});

test('unknown keys and unknown calls are refused by name', async () => {
  const { dispatcher } = dispatcherWith({});
  const extra = await dispatcher.invoke('system.status', { surprise: 1 }, context);
  assert.match(!extra.ok ? extra.error.message : '', /Unrecognized key.*surprise/);
  const unknown = await dispatcher.invoke('system.reboot', {}, context);
  assert.ok(!unknown.ok && unknown.error.code === 'NOT_FOUND');
});

test('defaults from the schema reach the service', async () => {
  let seen: unknown;
  const { dispatcher } = dispatcherWith({
    'system.journal': (input) => {
      seen = input;
      return [];
    },
  });
  await dispatcher.invoke('system.journal', {}, context);
  assert.deepEqual(seen, { limit: 50 });
});

test('a service answer outside the declared output becomes INTERNAL and is logged', async () => {
  const { dispatcher, errors } = dispatcherWith({ 'system.journal': () => [{ nonsense: true }] as never });
  const envelope = await dispatcher.invoke('system.journal', {}, context);
  assert.ok(!envelope.ok && envelope.error.code === 'INTERNAL');
  assert.equal(errors.length, 1);
});

test('domain errors keep their code and hint; state-changing calls are journaled either way', async () => {
  const { dispatcher, journal } = dispatcherWith({
    'identity.rotate': () => {
      throw new OutpostError('PRECONDITION', 'no identity', 'run outpost keys init');
    },
  });
  const envelope = await dispatcher.invoke('identity.rotate', {}, context);
  assert.deepEqual(envelope, { ok: false, error: { code: 'PRECONDITION', message: 'no identity', hint: 'run outpost keys init' } });
  assert.equal(journal.length, 1);
  assert.deepEqual(journal[0], {
    actor: 'cli',
    user: 'tech',
    action: 'identity.rotate',
    input: { keys: ['signing'] },
    outcome: 'error',
    errorCode: 'PRECONDITION',
    detail: 'no identity',
  });
});

test('an unexpected exception is shown as INTERNAL without its message', async () => {
  const { dispatcher } = dispatcherWith({
    'system.status': () => {
      throw new Error('secret path /root/keys/signing-ed25519.pem');
    },
  });
  const envelope = await dispatcher.invoke('system.status', {}, context);
  assert.ok(!envelope.ok);
  assert.doesNotMatch(JSON.stringify(envelope), /secret|signing-ed25519/);
});
