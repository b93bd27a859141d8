import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import type { Core } from '../../main/app/core.js';
import { createEventRelay, createIpcHandler } from '../../main/shell/electron/ipc.js';
import { inProcessConnection } from '../../main/shell/service/site-connection.js';
import { runOutpost } from '../helpers/cli.js';
import { postCall, startTestBridge } from '../helpers/bridge.js';
import { tempDir } from '../helpers/temp.js';

// One implementation behind three transports: the CLI (a real child process),
// the browser bridge (real HTTP) and the Electron IPC handler answer the same
// call with the same result, and refuse the same bad input with the same words.
const OWN_PAGE = 'file:///opt/outpost/resources/app/dist/renderer/index.html';
/** The window's view of the site: the test's core, reached the way the Electron shell reaches it. */
const siteOf = (core: Core) => inProcessConnection(core, { instance: 'transports-test', appVersion: '0.0.0', schemaVersion: 0 });

test('CLI, bridge and IPC return the same result for the same call', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const init = await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'contract-test', '--json']);
  assert.equal(init.code, 0, init.stderr);

  const viaCli = JSON.parse((await runOutpost(['--data-dir', dataDir, 'keys', 'show', '--json'])).stdout) as unknown;
  const viaCliCall = JSON.parse((await runOutpost(['--data-dir', dataDir, 'call', 'identity.show', '{}'])).stdout) as unknown;
  const { core, bridge } = await startTestBridge(t, dataDir);
  const viaBridge = await postCall(bridge, 'identity.show', {});
  const ipc = createIpcHandler(siteOf(core), (url) => url === OWN_PAGE);
  const viaIpc = await ipc(OWN_PAGE, 'identity.show', {});

  assert.equal(viaBridge.status, 200);
  assert.ok(viaIpc.ok);
  assert.equal((viaCli as { siteId: string }).siteId, 'contract-test');
  assert.deepEqual(viaBridge.body.result, viaCli);
  assert.deepEqual(viaIpc.result, viaCli);
  assert.deepEqual(viaCliCall, viaCli);
});

test("each transport refuses invalid input with the schema's own message, and nothing is written", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const schemaMessage = 'siteId: a site id is 3–64 characters of a–z, 0–9 and "-", starting and ending with a letter or digit';

  const viaCli = await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'Bad Id!']);
  assert.equal(viaCli.code, 1);
  assert.equal(viaCli.stderr.split('\n')[0]?.startsWith(`outpost: ${schemaMessage} — `), true, viaCli.stderr);
  assert.doesNotMatch(viaCli.stderr, /\n\s+at /, 'no stack trace');

  const { core, bridge } = await startTestBridge(t, dataDir);
  const viaBridge = await postCall(bridge, 'identity.init', { siteId: 'Bad Id!' });
  assert.equal(viaBridge.status, 400);
  assert.equal(viaBridge.body.error?.code, 'INVALID_INPUT');
  assert.equal(viaBridge.body.error?.message, schemaMessage);

  const ipc = createIpcHandler(siteOf(core), (url) => url === OWN_PAGE);
  const viaIpc = await ipc(OWN_PAGE, 'identity.init', { siteId: 'Bad Id!' });
  assert.ok(!viaIpc.ok);
  assert.equal(viaIpc.error.message, schemaMessage);

  const status = await postCall(bridge, 'system.status', {});
  assert.equal((status.body.result as { site: unknown }).site, null, 'no identity was created');
  const journal = await postCall(bridge, 'system.journal', {});
  assert.deepEqual(journal.body.result, [], 'refused inputs never reach a service, so nothing is journaled');
});

test('the IPC handler answers only the Outpost window', async (t) => {
  const { core } = await startTestBridge(t, path.join(tempDir(t), 'data'));
  const ipc = createIpcHandler(siteOf(core), (url) => url === OWN_PAGE);
  const foreign = await ipc('https://example.invalid/', 'system.status', {});
  assert.ok(!foreign.ok && foreign.error.code === 'FORBIDDEN');
  const badName = await ipc(OWN_PAGE, 42, {});
  assert.ok(!badName.ok && badName.error.code === 'INVALID_INPUT');
});

test('the IPC event relay sends a page what was emitted before it subscribed, only to the own page, one stream per page', async (t) => {
  const { core } = await startTestBridge(t, path.join(tempDir(t), 'data'));
  const tick = (ts: number): void => core.events.emit('telemetry.tick', { ts, samples: 1, sources: 1 });
  const relay = createEventRelay(siteOf(core), (url) => url === OWN_PAGE);
  const got: Array<{ seq: number; payload: { ts: number } }> = [];
  const foreign: unknown[] = [];
  tick(1);
  relay.subscribe(1, 'https://example.invalid/', 0, (m) => foreign.push(m));
  relay.subscribe(7, OWN_PAGE, 0, (m) => got.push(m as (typeof got)[number]));
  await new Promise((resolve) => setImmediate(resolve));
  tick(2);
  assert.deepEqual(
    got.map((m) => m.payload.ts),
    [1, 2],
    'the backlog, then live',
  );
  // A reload subscribes again with the last seq it saw: the old stream is replaced, nothing doubles.
  relay.subscribe(7, OWN_PAGE, got.at(-1)?.seq, (m) => got.push(m as (typeof got)[number]));
  tick(3);
  relay.unsubscribe(7);
  tick(4);
  assert.deepEqual(
    got.map((m) => m.payload.ts),
    [1, 2, 3],
  );
  assert.deepEqual(foreign, []);
});
