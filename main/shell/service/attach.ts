import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SiteProcessSchema } from '../../../shared/domain/status.js';
import { OutpostError } from '../../../shared/errors.js';
import { LATEST_SCHEMA_VERSION, errnoOf, prepareDataDir } from '../../platform/store/index.js';
import { appVersion, cliEntry } from '../../platform/version.js';
import { pidAlive } from '../../platform/process-alive.js';
import { supervisorLock } from '../../workers/index.js';
import { callRoute, postToBridge } from './bridge-client.js';
import { serviceConnection, type FoundService, type Rediscover } from './service-connection.js';
import { readServiceRecord, serviceRecordPath } from './service-record.js';
import type { SiteConnection } from './site-connection.js';

/** How long a started service has to answer; a cold start (schema migration, adopting workers) takes seconds. */
const START_WAIT_MS = 20_000;
const PROBE_TIMEOUT_MS = 3000;

type Lookup = { found: FoundService } | { refused: OutpostError } | { down: string };

/**
 * Attaches to the data dir's site service: the one service.json names, if its process lives and its bridge
 * answers with the token. With `start`, a service that does not run is started in the background (detached:
 * it outlives the window or command that started it) and waited for. Without, an UNAVAILABLE error says none
 * runs (the CLI then opens the core in-process). A service this Outpost cannot work with is refused.
 */
export async function attachToSite(dataDir: string, options: { start: boolean; port?: number }): Promise<SiteConnection> {
  const root = path.resolve(dataDir);
  const rediscover: Rediscover = async () => {
    const found = await lookUp(root);
    return 'refused' in found ? { refused: { reason: found.refused.message, ...(found.refused.hint ? { hint: found.refused.hint } : {}) } } : found;
  };
  const first = await lookUp(root);
  if ('found' in first) return serviceConnection(root, first.found, rediscover);
  if ('refused' in first) throw first.refused;
  if (!options.start) throw new OutpostError('UNAVAILABLE', `no site service runs for the data dir ${root} (${first.down})`, '`outpost ui` starts one in the background; `outpost service run` in the foreground');
  return serviceConnection(root, await startService(root, options.port), rediscover);
}

async function lookUp(root: string): Promise<Lookup> {
  const record = readServiceRecord(root);
  if (!record) return unreadableRecord(root) ?? { down: 'there is no service.json' };
  if (!pidAlive(record.pid)) return { down: `its last process, pid ${record.pid}, is gone` };
  if (record.schemaVersion > LATEST_SCHEMA_VERSION) return { refused: newerSchema(root, record.pid, record.schemaVersion, record.appVersion) };
  const door = { port: record.port, token: record.token };
  const reply = await postToBridge(door, callRoute('system.service'), {}, { timeoutMs: PROBE_TIMEOUT_MS }).answer;
  if (!reply.ok) {
    if (reply.error.code === 'UNAVAILABLE') return { down: `pid ${record.pid} does not answer on 127.0.0.1:${record.port}` };
    return { refused: cannotUse(root, record.pid, `its bridge answers "${reply.error.message}"`) };
  }
  const answer = SiteProcessSchema.safeParse(reply.result);
  if (!answer.success || answer.data.kind !== 'service') return { refused: cannotUse(root, record.pid, 'it does not answer as an Outpost site service') };
  if (answer.data.schemaVersion > LATEST_SCHEMA_VERSION) return { refused: newerSchema(root, answer.data.pid, answer.data.schemaVersion, answer.data.appVersion) };
  return { found: { door, process: answer.data } };
}

function newerSchema(root: string, pid: number, schemaVersion: number, serviceVersion: string): OutpostError {
  return new OutpostError(
    'PRECONDITION',
    `the site service of ${root} (pid ${pid}, Outpost ${serviceVersion}) runs schema version ${schemaVersion}, newer than this Outpost ${appVersion()} understands (${LATEST_SCHEMA_VERSION})`,
    `upgrade this Outpost to ${serviceVersion} or later; the service keeps running as it is`,
  );
}

function cannotUse(root: string, pid: number, why: string): OutpostError {
  return new OutpostError('PRECONDITION', `cannot attach to the site service of ${root} (pid ${pid}): ${why}`, 'restart the service (`outpost service stop`, then `outpost ui`), so that it writes a service.json this Outpost can use');
}

/** A service.json that exists but cannot be read (another user's service): refused, not mistaken for none. */
function unreadableRecord(root: string): { refused: OutpostError } | null {
  const file = serviceRecordPath(root);
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return null;
  } catch (error) {
    if (errnoOf(error) !== 'EACCES' && errnoOf(error) !== 'EPERM') return null;
    return { refused: new OutpostError('PRECONDITION', `cannot read ${file} (permission denied): the site service of this data dir runs as another user`, 'run Outpost as the user the service runs as, or use a data dir of your own (--data-dir)') };
  }
}

/** How often a start is tried: a service killed a moment ago may still hold the lock (not yet reaped) when the first one asks. */
const START_ATTEMPTS = 2;

/** Starts `outpost service run` in a session of its own, its output in logs/service.log, and waits until it answers. */
async function startService(root: string, port: number | undefined): Promise<FoundService> {
  const layout = prepareDataDir(root);
  fs.mkdirSync(layout.logs, { recursive: true, mode: 0o700 });
  const logFile = path.join(layout.logs, 'service.log');
  const deadline = Date.now() + START_WAIT_MS;
  let started = spawnService(root, port, logFile);
  for (let attempt = 1; ;) {
    const found = await lookUp(root);
    if ('found' in found) return found.found;
    if ('refused' in found) throw found.refused;
    // One that exited may have lost the race to another service starting at the same moment (it holds the
    // data dir's lock): that one is waited for. With the lock free again, it is tried once more.
    const ended = started.ended();
    if (ended !== null && supervisorLock(root).holder() === null) {
      if (attempt >= START_ATTEMPTS) break;
      attempt += 1;
      started = spawnService(root, port, logFile);
    }
    if (Date.now() > deadline) break;
    await sleep(150);
  }
  const ended = started.ended();
  const what = ended === null ? `did not answer within ${START_WAIT_MS / 1000} s` : `did not start (it ${ended})`;
  throw new OutpostError('UNAVAILABLE', `the site service of ${root} ${what}`, `its last output (${logFile}):\n${lastLines(logFile, started.logFrom)}`);
}

function spawnService(root: string, port: number | undefined, logFile: string): { logFrom: number; ended: () => string | null } {
  const out = fs.openSync(logFile, 'a', 0o600);
  const logFrom = fs.fstatSync(out).size;
  const child = spawn(process.execPath, [cliEntry(), '--data-dir', root, 'service', 'run', ...(port ? ['--port', String(port)] : [])], {
    cwd: '/',
    detached: true,
    stdio: ['ignore', out, out],
    env: detachedEnv(process.env),
  });
  fs.closeSync(out);
  let ended: string | null = null;
  child.once('exit', (code, signal) => (ended = signal ? `killed by ${signal}` : `exited with ${code}`));
  child.once('error', (error) => (ended = `could not be started: ${error.message}`));
  child.unref();
  return { logFrom, ended: () => ended };
}

/**
 * The service's environment: ours, marked as detached. Without INVOCATION_ID, which a terminal that systemd runs
 * (gnome-terminal-server) hands its shells: it would read as systemd keeping the service. Inside the Electron
 * app, process.execPath is Electron itself: it runs as the Node it carries.
 */
function detachedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { INVOCATION_ID: _systemdUnit, ...rest } = env;
  return { ...rest, OUTPOST_SERVICE_DETACHED: '1', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
}

function lastLines(file: string, from: number): string {
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8').trim();
    return text ? text.split('\n').slice(-12).join('\n') : '(nothing)';
  } catch {
    return '(unreadable)';
  }
}
