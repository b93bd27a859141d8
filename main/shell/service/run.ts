import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { openCore, type Core } from '../../app/core.js';
import { LATEST_SCHEMA_VERSION, errnoOf } from '../../platform/store/index.js';
import { appVersion, rendererDir } from '../../platform/version.js';
import { supervisorLock } from '../../workers/index.js';
import { startBridge, type Bridge } from '../bridge/server.js';
import { untilStopSignal } from '../bridge/serve.js';
import { refuseRootOnForeignDataDir } from './data-dir-owner.js';
import { readServiceRecord, writeServiceRecord, type ServiceRecord } from './service-record.js';

export interface ServiceRunOptions {
  dataDir: string;
  /** A fixed port (0: any free one). Omitted: the port this data dir's service had before, when it is free. */
  port?: number | undefined;
  json: boolean;
  out: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** Who keeps the process running, as its environment tells: systemd sets INVOCATION_ID for every unit it starts. */
export function managedByOf(env: NodeJS.ProcessEnv): ServiceRecord['managedBy'] {
  if (env.INVOCATION_ID) return 'systemd';
  return env.OUTPOST_SERVICE_DETACHED === '1' ? 'detached' : 'foreground';
}

/**
 * `outpost service run`: the data dir's long-lived headless core. It supervises the workers, samples telemetry,
 * runs the router (as its child) and serves the bridge windows attach to, until Ctrl-C, SIGTERM or SIGHUP.
 * One per data dir: the supervisor's lock decides, and a second is refused with the holder's pid.
 */
export async function runService(options: ServiceRunOptions): Promise<void> {
  const dataDir = path.resolve(options.dataDir);
  refuseRootOnForeignDataDir(dataDir);
  // Listening from the start: a stop asked while the core comes up waits for it, then closes it cleanly.
  const stopAsked = untilStopSignal();
  // How it answers system.service: what a window shows it is attached to.
  const service = { instance: randomBytes(8).toString('hex'), startedAt: new Date().toISOString(), managedBy: managedByOf(options.env ?? process.env) };
  const core = openCore({ dataDir, service });
  try {
    if (!core.supervise()) {
      const holder = supervisorLock(dataDir).holder();
      throw new OutpostError(
        'CONFLICT',
        holder ? `another Outpost service runs for this data dir (pid ${holder})` : 'another Outpost service held this data dir a moment ago and has just exited',
        `one service per data dir: see \`outpost --data-dir ${dataDir} service status\`, or stop it with \`service stop\` first`,
      );
    }
    const previous = readServiceRecord(dataDir);
    const bridge = await openDoor(core, previous?.token, options.port ?? previous?.port, options.port === undefined);
    const record: ServiceRecord = {
      pid: process.pid,
      instance: service.instance,
      port: bridge.port,
      token: bridge.token,
      appVersion: appVersion(),
      schemaVersion: LATEST_SCHEMA_VERSION,
      startedAt: service.startedAt,
      managedBy: service.managedBy,
    };
    writeServiceRecord(dataDir, record);
    core.log.info('service started', { port: record.port, instance: record.instance, managedBy: record.managedBy });
    // The token goes to a terminal only: a detached or systemd service's output lands in a log file or the journal.
    const foreground = record.managedBy === 'foreground';
    const url = foreground ? bridge.url : `http://127.0.0.1:${bridge.port}/`;
    options.out.write(
      options.json
        ? `${JSON.stringify({ url, port: bridge.port, dataDir, pid: process.pid })}\n`
        : foreground
          ? `Outpost is serving on 127.0.0.1 only, as this data dir's site service (pid ${process.pid}). Windows attach at this URL (it carries the service's access token, kept across restarts):\n\n  ${url}\n\ndata dir: ${dataDir}\nPress Ctrl-C to stop it (the site stops with it: its router and the workers' supervision).\n`
          : `Outpost is serving on ${url} as this data dir's site service (pid ${process.pid}, data dir ${dataDir}); \`outpost ui\` prints the URL with its access token.\n`,
    );
    await stopAsked;
    await bridge.close();
    core.log.info('service stopped', { instance: record.instance });
  } finally {
    core.close();
  }
}

/**
 * The bridge on the recorded token and port, so a restarted service keeps its door and a window reconnects
 * without a new URL. A recorded port that something else took meanwhile gives way to a free one; a port the
 * caller asked for does not.
 */
async function openDoor(core: Core, token: string | undefined, port: number | undefined, portMayMove: boolean): Promise<Bridge> {
  const start = (at: number) => startBridge({ dispatcher: core.dispatcher, events: core.events, log: core.log, staticDir: rendererDir(), port: at, ...(token ? { token } : {}) });
  try {
    return await start(port ?? 0);
  } catch (error) {
    if (errnoOf(error) !== 'EADDRINUSE') throw error;
    if (!portMayMove) throw new OutpostError('CONFLICT', `port ${port} on 127.0.0.1 is in use`, 'choose another with --port, or leave it out to keep the recorded one or take a free one');
    core.log.info('the recorded service port is taken; using a free one', { port });
    return start(0);
  }
}
