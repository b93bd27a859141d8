// The service connection against a real core behind the real bridge, in this process: service.json names it
// (this process's pid is alive), so attachToSite finds it as it would find `outpost service run`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import type { EventMessage } from '../../../shared/contract/index.js';
import type { ScanResult } from '../../../shared/domain/discovery.js';
import { isOutpostError } from '../../../shared/errors.js';
import { openCore, type Core } from '../../app/core.js';
import { LATEST_SCHEMA_VERSION } from '../../platform/store/index.js';
import { rendererDir } from '../../platform/version.js';
import { startBridge, type Bridge } from '../bridge/server.js';
import { atTestEnd, tempDir } from '../../../test/helpers/temp.js';
import { until } from '../../../test/helpers/workers.js';
import { attachToSite } from './attach.js';
import { writeServiceRecord } from './service-record.js';
import type { ConnectionState } from './site-connection.js';

const FINGERPRINT = `SHA256:${'A'.repeat(43)}`;

interface StandIn {
  core: Core;
  bridge: Bridge;
  stop(): Promise<void>;
}

/** A core and its bridge as `service run` would open them, announced in service.json. */
async function standInService(t: TestContext, dataDir: string, door?: { port: number; token: string }, schemaVersion = LATEST_SCHEMA_VERSION): Promise<StandIn> {
  const instance = randomBytes(8).toString('hex');
  const startedAt = new Date().toISOString();
  const core = openCore({ dataDir, service: { instance, startedAt, managedBy: 'foreground' } });
  const bridge = await startBridge({ dispatcher: core.dispatcher, events: core.events, log: core.log, staticDir: rendererDir(), ...(door ?? {}) });
  writeServiceRecord(dataDir, { pid: process.pid, instance, port: bridge.port, token: bridge.token, appVersion: '0.1.0', schemaVersion, startedAt, managedBy: 'foreground' });
  let stopped = false;
  const standIn: StandIn = {
    core,
    bridge,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await standIn.bridge.close();
      core.close();
    },
  };
  atTestEnd(t, () => standIn.stop());
  return standIn;
}

test('with no service, attaching without start is UNAVAILABLE (the CLI then opens its own core)', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  await assert.rejects(attachToSite(dataDir, { start: false }), (error) => isOutpostError(error) && error.code === 'UNAVAILABLE' && /no site service runs/.test(error.message));
});

test('a service of a newer schema is refused with what to do', async (t) => {
  const dataDir = tempDir(t);
  await standInService(t, dataDir, undefined, LATEST_SCHEMA_VERSION + 1);
  await assert.rejects(attachToSite(dataDir, { start: false }), (error) => {
    assert.ok(isOutpostError(error));
    assert.equal(error.code, 'PRECONDITION');
    assert.match(error.message, new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this Outpost .* understands \\(${LATEST_SCHEMA_VERSION}\\)`));
    assert.match(error.hint ?? '', /upgrade this Outpost/);
    return true;
  });
});

test('calls go to the service with the caller as actor; a cancelled call still answers with its partial result', async (t) => {
  const dataDir = tempDir(t);
  const service = await standInService(t, dataDir);
  const site = await attachToSite(dataDir, { start: false });
  t.after(() => site.close());
  assert.deepEqual(site.attachedTo(), { kind: 'service', dataDir, pid: process.pid, instance: service.core.siteProcess.instance, appVersion: service.core.siteProcess.appVersion, schemaVersion: LATEST_SCHEMA_VERSION });
  const info = await site.invoke('system.service', {}, 'cli');
  assert.ok(info.ok);
  assert.equal((info.result as { managedBy: string }).managedBy, 'foreground');
  assert.ok(!JSON.stringify(info.result).includes(service.bridge.token), 'never the token');

  assert.ok((await site.invoke('identity.init', { siteId: 'attach-test' }, 'cli')).ok);
  const journal = await site.invoke('system.journal', { limit: 5 }, 'cli');
  assert.ok(journal.ok);
  assert.equal((journal.result as Array<{ action: string; actor: string }>).find((e) => e.action === 'identity.init')?.actor, 'cli');

  // A listener that never speaks holds the scan in its SSH handshake until it is cancelled (the dead addresses are done at once).
  const silent = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.78.0.1', resolve));
  t.after(() => silent.close());
  const progress: EventMessage[] = [];
  const events = site.openEvents((m) => void progress.push(m));
  await events.live;
  const controller = new AbortController();
  const scanning = site.invoke('discovery.scan', { targets: '127.78.0.0/29', port: (silent.address() as AddressInfo).port, user: 'nobody', timeoutMs: 60_000, scanId: 'attach-scan' }, 'cli', controller.signal);
  await until('the scan to start', () => progress.some((m) => m.name === 'discovery.scanProgress'), 10_000);
  controller.abort();
  const answer = await scanning;
  assert.ok(answer.ok, JSON.stringify(answer));
  assert.equal((answer.result as ScanResult).outcome, 'cancelled', 'the scan stopped in the service and answered as it does in-process');
  events.close();
});

test('events: live only on request; after a drop they resume where they were, after a restart from the new instance, and listeners hear of both', async (t) => {
  const dataDir = tempDir(t);
  const first = await standInService(t, dataDir);
  first.core.events.emit('identity.changed', { siteId: 'before', signingFingerprint: FINGERPRINT });
  const site = await attachToSite(dataDir, { start: false });
  t.after(() => site.close());
  const states: ConnectionState[] = [];
  site.onState((s) => void states.push(s));
  const seen: EventMessage[] = [];
  const events = site.openEvents((m) => void seen.push(m));
  await events.live;
  first.core.events.emit('identity.changed', { siteId: 'live-1', signingFingerprint: FINGERPRINT });
  await until('the live event', () => seen.length === 1, 5000);
  assert.deepEqual(
    seen.map((m) => (m.payload as { siteId: string }).siteId),
    ['live-1'],
    'no backlog for a live stream',
  );

  // The same process drops its sockets and opens its door again: nothing emitted meanwhile is lost.
  const door = { port: first.bridge.port, token: first.bridge.token };
  await first.bridge.close();
  await until('reconnecting', () => states.some((s) => s.state === 'reconnecting'), 5000);
  first.core.events.emit('identity.changed', { siteId: 'while-down', signingFingerprint: FINGERPRINT });
  first.bridge = await startBridge({ dispatcher: first.core.dispatcher, events: first.core.events, log: first.core.log, staticDir: rendererDir(), ...door });
  await until('the event emitted while down', () => seen.length === 2, 10_000);
  assert.equal((seen[1]?.payload as { siteId: string }).siteId, 'while-down');
  assert.equal(states.at(-1)?.state, 'attached');

  // A new process (new instance) behind the same door: its events count from 1 again, and all of them arrive.
  await first.stop();
  const second = await standInService(t, dataDir, door);
  second.core.events.emit('identity.changed', { siteId: 'new-1', signingFingerprint: FINGERPRINT });
  await until('the new instance attached', () => states.some((s) => s.state === 'attached' && s.to.instance === second.core.siteProcess.instance), 10_000);
  second.core.events.emit('identity.changed', { siteId: 'new-2', signingFingerprint: FINGERPRINT });
  await until('the new instance events', () => seen.length === 4, 10_000);
  assert.deepEqual(
    seen.slice(2).map((m) => [m.seq, (m.payload as { siteId: string }).siteId]),
    [
      [1, 'new-1'],
      [2, 'new-2'],
    ],
  );
  assert.equal(site.attachedTo().instance, second.core.siteProcess.instance);

  // What was emitted before `settled` is delivered when it resolves: a CLI job prints its result after its last progress.
  for (let i = 0; i < 50; i++) second.core.events.emit('identity.changed', { siteId: `burst-${i}`, signingFingerprint: FINGERPRINT });
  await events.settled?.();
  assert.equal((seen.at(-1)?.payload as { siteId: string }).siteId, 'burst-49');
  events.close();
});

test('the bridge takes the actor a client names only among the transports, and a cancel only with the token', async (t) => {
  const dataDir = tempDir(t);
  const { bridge } = await standInService(t, dataDir);
  const post = (route: string, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${bridge.port}${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.token}`, ...headers }, body: '{}' }).then(
      async (r) => [r.status, ((await r.json()) as { error?: { code: string } }).error?.code] as const,
    );
  assert.deepEqual(await post('/rpc/system.status', { 'X-Outpost-Actor': 'system' }), [400, 'INVALID_INPUT']);
  assert.deepEqual(await post('/rpc/system.status', { 'X-Outpost-Actor': 'cli' }), [200, undefined]);
  assert.deepEqual(await post('/rpc/system.status', { 'X-Outpost-Call-Id': 'short' }), [400, 'INVALID_INPUT']);
  assert.deepEqual(await post('/cancel/0123456789abcdef0123', { Authorization: 'Bearer wrong' }), [401, 'UNAUTHORIZED']);
  assert.deepEqual(await post('/cancel/0123456789abcdef0123', {}), [200, undefined], 'a call that is not running: nothing to cancel');
});
