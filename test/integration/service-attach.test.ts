// Windows attach, never own (issue 18): `outpost ui` attaches to the data dir's site service, starting it in the
// background, and detaching stops nothing; CLI commands go through the service when it runs; a stream of events
// follows the service across a restart; a service this Outpost cannot work with is refused. Real processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'node:test';
import OpenAI from 'openai';
import type { EventMessage } from '../../shared/contract/index.js';
import type { JournalEntry } from '../../shared/domain/journal.js';
import type { RouterStatus } from '../../shared/domain/router.js';
import type { SiteProcess } from '../../shared/domain/status.js';
import { LATEST_SCHEMA_VERSION } from '../../main/platform/store/index.js';
import { pidAlive } from '../../main/platform/process-alive.js';
import { attachToSite } from '../../main/shell/service/attach.js';
import { readServiceRecord, writeServiceRecord } from '../../main/shell/service/service-record.js';
import type { ConnectionState } from '../../main/shell/service/site-connection.js';
import { startSimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';
import { outpostUi, stopServiceAtEnd } from '../helpers/attach.js';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/workers.js';

const cli = (dataDir: string, ...args: string[]) => runOutpost(['--data-dir', dataDir, '--json', ...args]);

async function cliJson<T>(dataDir: string, ...args: string[]): Promise<T> {
  const run = await cli(dataDir, ...args);
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

test('outpost ui starts the service in the background and detaches on Ctrl-C: the service, its router and a stream through it go on; CLI calls and jobs go through the service', { timeout: 120_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  stopServiceAtEnd(t, dataDir);
  const upstream = await startSimulatedUpstream({ name: 'sim', ttftMs: 20, tokensPerSecond: 25, tokens: 50 });
  t.after(() => upstream.close());

  const ui = await outpostUi(t, dataDir);
  const servicePid = ui.printed.pid;
  assert.notEqual(servicePid, ui.child.pid, 'the site runs in a process of its own');
  assert.match(ui.printed.url, new RegExp(`^http://127\\.0\\.0\\.1:${ui.printed.port}/#token=[A-Za-z0-9_-]{32,}$`));
  assert.equal(ui.printed.dataDir, dataDir);
  // The token is a secret: the background service's output (its log file) never holds it.
  const token = ui.printed.url.split('#token=')[1] as string;
  assert.ok(!readFileSync(path.join(dataDir, 'logs', 'service.log'), 'utf8').includes(token), 'the token is not in the service log');

  // The CLI reaches the site through the service: it answers for itself, and the journal names the CLI.
  const attached = await cliJson<SiteProcess>(dataDir, 'call', 'system.service');
  assert.deepEqual([attached.kind, attached.pid, attached.managedBy], ['service', servicePid, 'detached']);
  await cliJson(dataDir, 'router', 'endpoints', 'add', 'sim', upstream.url, '--models', 'tiny');
  const key = (await cliJson<{ key: string }>(dataDir, 'router', 'keys', 'add', 'attach-app')).key;
  const journal = await cliJson<JournalEntry[]>(dataDir, 'journal', '--limit', '10');
  assert.equal(journal.find((e) => e.action === 'router.endpoints.add')?.actor, 'cli');

  const router = await until(
    "the service's router to serve the endpoint",
    async () => {
      const status = await cliJson<RouterStatus>(dataDir, 'router', 'status');
      return status.running && status.stats && status.stats.configVersion >= status.configVersion && status.supervised?.supervisorPid === servicePid ? status.stats : undefined;
    },
    30_000,
  );
  const client = new OpenAI({ apiKey: key, baseURL: `${router.listen}/v1`, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let tokens = 0;
  let detached: Promise<number | null> | undefined;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) tokens += 1;
    if (tokens === 5 && !detached) {
      // Ctrl-C on the terminal reaches its whole process group; the service has a session of its own.
      detached = new Promise((resolve) => ui.child.once('exit', resolve));
      process.kill(-(ui.child.pid as number), 'SIGINT');
    }
  }
  assert.equal(tokens, 50, 'the stream ran on to its end without a break');
  assert.equal(await detached, 0, 'outpost ui detached and exited');
  assert.ok(pidAlive(servicePid), 'the service keeps running');
  assert.equal(readFileSync(path.join(dataDir, 'workers-supervisor.lock'), 'utf8').trim(), String(servicePid), "the workers' supervisor lock is still the service's");

  // A job from the CLI runs in the service: its progress comes over the socket, and Ctrl-C cancels it there.
  assert.equal((await cli(dataDir, 'keys', 'init', '--site-id', 'attach-test')).code, 0);
  const silent = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.79.0.1', resolve));
  t.after(() => silent.close());
  const scan = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'discover', '127.79.0.0/29', '--port', String((silent.address() as AddressInfo).port), '--user', 'nobody', '--timeout', '60000'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => scan.kill('SIGKILL'));
  let out = '';
  let err = '';
  scan.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  scan.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => scan.once('exit', resolve));
  const first = await until('scan progress', () => out.split('\n').find((l) => l.includes('"event":"discovery.scanProgress"')), 20_000);
  const scanId = (JSON.parse(first) as { payload: { scanId: string } }).payload.scanId;
  const again = await cli(dataDir, 'call', 'discovery.scan', JSON.stringify({ targets: '127.79.0.2', user: 'nobody', scanId }));
  assert.match(again.stderr, new RegExp(`a job with id ${scanId} is already running`), 'the scan is a job of the service');
  const sent = Date.now();
  scan.kill('SIGINT');
  assert.equal(await exited, 1, err);
  assert.ok(Date.now() - sent < 5_000, 'cancelled in the service at once');
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal((lines.at(-2) as { outcome: string }).outcome, 'cancelled', 'the partial result comes before the error, as in-process');
  assert.deepEqual((lines.at(-1) as { error: { code: string } }).error.code, 'CANCELLED');
});

test('the service killed -9: the next outpost ui starts it again, under the same door; a stream of its events hears of the new instance and resumes', { timeout: 120_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  stopServiceAtEnd(t, dataDir);
  const site = await attachToSite(dataDir, { start: true });
  t.after(() => site.close());
  const before = readServiceRecord(dataDir);
  assert.ok(before && before.pid === site.attachedTo().pid && before.managedBy === 'detached');
  const states: ConnectionState[] = [];
  site.onState((s) => void states.push(s));
  const seen: EventMessage[] = [];
  const events = site.openEvents((m) => void seen.push(m), { after: 0 });
  await until('telemetry ticks from the service', () => seen.filter((m) => m.name === 'telemetry.tick').length >= 2, 20_000);

  process.kill(before.pid, 'SIGKILL');
  await until('reconnecting', () => states.some((s) => s.state === 'reconnecting'), 10_000);
  const ui = await outpostUi(t, dataDir);
  process.kill(-(ui.child.pid as number), 'SIGINT');
  const after = readServiceRecord(dataDir);
  assert.ok(after && after.pid === ui.printed.pid && after.pid !== before.pid);
  assert.deepEqual([after.port, after.token], [before.port, before.token], 'the same door');
  assert.notEqual(after.instance, before.instance);
  await until('attached to the new instance', () => states.some((s) => s.state === 'attached' && s.to.instance === after.instance), 15_000);
  const restartedAt = (): number => seen.findIndex((m, i) => i > 0 && m.seq < (seen[i - 1]?.seq ?? 0));
  await until('events of the new instance', () => restartedAt() > 0, 20_000);
  assert.equal(seen[restartedAt()]?.seq, 1, "the new instance's events from its first on");
  assert.equal(site.attachedTo().pid, after.pid);
  events.close();
});

test('a service of a newer schema: outpost ui and CLI commands refuse it with what to do', async (t) => {
  const dataDir = tempDir(t);
  // A live process (this one) named by a record of a newer Outpost: attaching reads the record before anything else.
  writeServiceRecord(dataDir, {
    pid: process.pid,
    instance: randomBytes(8).toString('hex'),
    port: 9,
    token: randomBytes(32).toString('base64url'),
    appVersion: '99.0.0',
    schemaVersion: LATEST_SCHEMA_VERSION + 1,
    startedAt: new Date().toISOString(),
    managedBy: 'systemd',
  });
  for (const args of [['ui'], ['status']]) {
    const run = await runOutpost(['--data-dir', dataDir, ...args]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, new RegExp(`runs schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this Outpost .* understands \\(${LATEST_SCHEMA_VERSION}\\) — upgrade this Outpost to 99\\.0\\.0 or later`));
  }
});
