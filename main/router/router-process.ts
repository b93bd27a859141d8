import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { OutpostError } from '../../shared/errors.js';
import type { Logger } from '../platform/log.js';
import { RoutingTable } from './core/routing-table.js';
import { TrafficSeries } from './core/traffic.js';
import { StoreConfigSource } from './adapters/config-source.js';
import { applyClientLimits, createRouterServer } from './adapters/http-api.js';
import type { FrontDoor } from './adapters/http1-server.js';
import { RouterMetrics } from './adapters/metrics.js';
import { Prober } from './adapters/prober.js';
import { acquirePidLock } from './adapters/pid-lock.js';
import { RouterReportWriter, routerFiles } from './adapters/router-files.js';
import { UpstreamPools } from './adapters/upstream.js';

export interface RouterProcessOptions {
  /** The data dir: the store is read from it, stats and the retry log are written under router/. */
  dataDir: string;
  databaseFile: string;
  host: string;
  port: number;
  log: Logger;
  /** How often the config version row is polled. */
  reloadPollMs?: number;
  statsIntervalMs?: number;
}

export interface RunningRouter {
  url: string;
  port: number;
  configVersion: () => number;
  /** Stops accepting, lets running streams finish (up to `graceMs`), then closes everything. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The router process: reads its configuration from the store read-only,
 * reloads it when the version row moves (in-flight requests keep the endpoint
 * state they hold), probes endpoints, serves the OpenAI API, and reports stats
 * and retries through files the core reads. It never writes the store.
 */
export async function startRouter(options: RouterProcessOptions): Promise<RunningRouter> {
  const files = routerFiles(options.dataDir);
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  // One router per data dir: two would report over each other's stats and retry files.
  const lock = acquirePidLock(files.lock);
  if (!lock.acquired) {
    throw new OutpostError('CONFLICT', `another router (pid ${lock.heldBy}) already serves the data dir ${options.dataDir}`, `stop that one first (kill ${lock.heldBy}), or use another --data-dir`);
  }
  try {
    return await serve(options, lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function serve(options: RouterProcessOptions, releaseLock: () => void): Promise<RunningRouter> {
  const source = new StoreConfigSource(options.databaseFile);
  const table = new RoutingTable();
  const pools = new UpstreamPools();
  const metrics = new RouterMetrics(() => table.endpoints().map((e) => ({ endpoint: e.spec.name, tier: e.spec.tier, inFlight: e.inFlight })));
  const traffic = new TrafficSeries();
  const reports = new RouterReportWriter(options.dataDir);
  const startedAt = new Date().toISOString();
  // The first load runs before the front door exists; later ones also apply the client limits to it.
  const load = (frontDoor?: FrontDoor) => {
    const config = source.read();
    const { added, removed } = table.apply(config);
    pools.sync(config.endpoints);
    removed.forEach((spec) => metrics.forget(spec.name, spec.tier));
    for (const state of table.endpoints()) metrics.endpointState(state.spec.name, state.spec.tier, state.breaker.state(Date.now()), state.healthy);
    metrics.setConfigVersion(config.version);
    if (frontDoor) applyClientLimits(frontDoor, config.policy);
    options.log.info('router configuration loaded', { version: config.version, endpoints: config.endpoints.length, added, removed: removed.map((spec) => spec.name) });
  };
  load();

  const door = createRouterServer({
    table,
    pools,
    metrics,
    traffic,
    log: options.log,
    journalRetry: (record) => {
      reports.appendRetry(record).catch((error: unknown) => options.log.error('could not append to the retry log', { error: String(error) }));
    },
    health: () => ({ status: 'ok', configVersion: table.version, endpoints: table.endpoints().length, models: table.models() }),
  });
  const listening = door.server;
  await new Promise<void>((resolve, reject) => {
    listening.once('error', (error: NodeJS.ErrnoException) => {
      source.close();
      void pools.close();
      reject(
        new OutpostError(
          'UNAVAILABLE',
          `the router cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`,
          error.code === 'EADDRINUSE' ? 'another process uses that port: pick another --port, or stop it' : 'check --host and --port',
        ),
      );
    });
    listening.listen(options.port, options.host, () => {
      listening.removeAllListeners('error');
      listening.on('error', (error) => options.log.error('the router server reported an error', { error: String(error) }));
      resolve();
    });
  });
  const address = listening.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;

  const prober = new Prober(table, pools, metrics);
  prober.start();
  const reloadTimer = setInterval(() => {
    try {
      if (source.version() !== table.version) load(door);
    } catch (error) {
      options.log.error('could not reload the router configuration; keeping the last one', { error: String(error) });
    }
  }, options.reloadPollMs ?? 500);
  const writeStats = () => {
    const now = Date.now();
    return reports
      .writeStats({
        pid: process.pid,
        listen: url,
        startedAt,
        writtenAt: new Date(now).toISOString(),
        configVersion: table.version,
        inFlight: table.endpoints().reduce((sum, e) => sum + e.inFlight, 0),
        endpoints: table.endpoints().map((e) => e.stats(now)),
        draining: table.draining(),
        traffic: traffic.snapshot(now),
      })
      .catch((error: unknown) => options.log.error('could not write router stats', { error: String(error) }));
  };
  // The first write is awaited so that a started router is already visible to `router.status`.
  await writeStats();
  const statsTimer = setInterval(() => void writeStats(), options.statsIntervalMs ?? 1_000);

  return {
    url,
    port: address.port,
    configVersion: () => table.version,
    close: async (graceMs = 5_000) => {
      clearInterval(reloadTimer);
      clearInterval(statsTimer);
      prober.stop();
      const closed = door.close();
      const timer = setTimeout(() => door.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await pools.close();
      await reports.flush();
      source.close();
      releaseLock();
    },
  };
}
