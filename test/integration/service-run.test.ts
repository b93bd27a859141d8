// `outpost service run`, the data dir's long-lived core, as real processes: one per data dir (a second is refused
// with the holder's pid), the door (port and token) kept across a restart, who manages it recorded, and root
// refused on a data dir another user owns before anything is written.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'node:test';
import { startSiteService } from '../helpers/browser-mode.js';
import { runOutpost } from '../helpers/cli.js';
import { snapshot, tempDir } from '../helpers/temp.js';
import { readServiceRecord } from '../../main/shell/service/service-record.js';

const notUnderSystemd = { INVOCATION_ID: undefined, OUTPOST_SERVICE_DETACHED: undefined };

async function stopped(service: { process: ChildProcess }): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => service.process.once('exit', (code) => resolve(code)));
  service.process.kill('SIGTERM');
  return exited;
}

test('a second service on the same data dir is refused with the holder’s pid, and the first keeps serving', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const first = await startSiteService(t, dataDir, { env: notUnderSystemd });
  const second = await runOutpost(['--data-dir', dataDir, 'service', 'run', '--port', '0']);
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`another Outpost service runs for this data dir \\(pid ${first.pid}\\)`));
  const secondJson = await runOutpost(['--data-dir', dataDir, '--json', 'service', 'run', '--port', '0']);
  assert.equal((JSON.parse(secondJson.stdout) as { error: { code: string } }).error.code, 'CONFLICT');
  assert.equal(readServiceRecord(dataDir)?.pid, first.pid, 'the record still names the running service');
  assert.equal(first.process.exitCode, null, 'the first service keeps running');
  assert.equal(await stopped(first), 0, 'SIGTERM stops it cleanly');
});

test('a restarted service keeps its port and token; the record says who manages it', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const first = await startSiteService(t, dataDir, { runArgs: [], env: notUnderSystemd });
  const before = readServiceRecord(dataDir);
  assert.ok(before);
  assert.deepEqual([before.pid, before.port, before.managedBy], [first.pid, first.port, 'foreground']);
  assert.equal(new URL(first.url).hash, `#token=${before.token}`);
  assert.equal(fs.statSync(path.join(dataDir, 'service.json')).mode & 0o777, 0o600, 'the token is private to the user');
  assert.equal(await stopped(first), 0);

  const again = await startSiteService(t, dataDir, { runArgs: [], env: { ...notUnderSystemd, OUTPOST_SERVICE_DETACHED: '1' } });
  const after = readServiceRecord(dataDir);
  assert.ok(after);
  // The same door, so a window reconnects without a new URL; a background service prints it without the token.
  assert.equal(again.url, first.url.split('#')[0]);
  assert.deepEqual([after.port, after.token, after.managedBy, after.pid], [before.port, before.token, 'detached', again.pid]);
  assert.notEqual(after.instance, before.instance, 'a new instance: event numbers start again');
  const refused = await fetch(`http://127.0.0.1:${again.port}/rpc/system.status`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(refused.status, 401, 'the door still wants the token');
  const answered = await fetch(`http://127.0.0.1:${again.port}/rpc/system.status`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${before.token}` }, body: '{}' });
  assert.equal(answered.status, 200, 'the recorded token opens it');
  assert.equal(await stopped(again), 0);

  const underSystemd = await startSiteService(t, dataDir, { runArgs: ['--port', '0'], env: { INVOCATION_ID: 'c0ffee' } });
  assert.equal(readServiceRecord(dataDir)?.managedBy, 'systemd');
  assert.equal(readServiceRecord(dataDir)?.token, before.token, 'an explicit --port moves the door but keeps its token');
  assert.equal(await stopped(underSystemd), 0);
});

test('a recorded port that something else took meanwhile gives way to a free one', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const first = await startSiteService(t, dataDir, { runArgs: [], env: notUnderSystemd });
  await stopped(first);
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(first.port, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const moved = await startSiteService(t, dataDir, { runArgs: [], env: notUnderSystemd });
  assert.notEqual(moved.port, first.port);
  assert.equal(readServiceRecord(dataDir)?.port, moved.port);
  const taken = await runOutpost(['--data-dir', path.join(tempDir(t), 'other'), 'service', 'run', '--port', String(first.port)]);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, new RegExp(`port ${first.port} on 127.0.0.1 is in use`));
});

test('root is refused on a data dir another user owns, before anything is written, and told what to do', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.chownSync(dataDir, 65534, 65534); // nobody
  const before = snapshot(dataDir);
  const refused = await runOutpost(['--data-dir', dataDir, 'service', 'run', '--port', '0']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refusing to run the service as root on the data dir .* which nobody owns/);
  assert.match(refused.stderr, new RegExp(`sudo -u nobody outpost --data-dir ${dataDir} service run`));
  assert.match(refused.stderr, /service install --system/);
  assert.deepEqual(snapshot(dataDir), before, 'nothing was written');
  assert.deepEqual(fs.readdirSync(dataDir), []);
});
