import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DiscoveryService, NodeRepository, SiteRepository, SiteScan, discoveryHandlers, readLocalFacts, readPrivateKey } from '../discovery/index.js';
import { IdentityRepository, IdentityService, KeyVault, generateSshKeyPair, identityHandlers } from '../identity/index.js';
import { CalibrationRepository, PlanRepository, PlannerService, catalogNameForGpu, plannerHandlers, readNodeGgufHeader } from '../planner/index.js';
import { RouterReportReader, RouterRepository, RouterService, openListenService, routerHandlers, routerInFlight, superviseRouter, type RouterSupervisor } from '../router/index.js';
import { SetupService, confirmationsFromJournal, setupHandlers } from '../setup/index.js';
import { openSync, syncHandlers } from '../sync/index.js';
import { Sampler, openTelemetry, telemetryHandlers, workstationLoadReader } from '../telemetry/index.js';
import { ActualsRepository, DEFAULT_REPLAN_GRACE_MS, DeploymentRepository, PinnedHosts, Supervisor, WorkersService, headApi, supervisorLock, localModel, localProcesses, ownerId, systemClock, workersHandlers } from '../workers/index.js';
import { Journal, openDatabase, prepareDataDir, type DataDirLayout, type Db } from '../platform/store/index.js';
import { Dispatcher, type Handlers } from '../platform/dispatcher.js';
import { envInteger } from '../platform/env-settings.js';
import { EventHub } from '../platform/events.js';
import { JobRegistry } from '../platform/jobs.js';
import { siteFacts } from './site-facts.js';
import { systemHandlers } from './system-handlers.js';
import { fileLogger, type Logger } from '../platform/log.js';
import { appVersion } from '../platform/version.js';
import { PinnedSsh, connectTcp } from '../platform/ssh/index.js';
import type { SiteProcess } from '../../shared/domain/status.js';

export interface CoreOptions {
  dataDir: string;
  now?: () => Date;
  /** Given by `outpost service run`: how the data dir's service answers system.service. Absent: an in-process core. */
  service?: { instance: string; startedAt: string; managedBy: 'systemd' | 'detached' | 'foreground' };
}

/** The core: all state and services behind one dispatcher. Every shell opens exactly one. */
export interface Core {
  dispatcher: Dispatcher;
  events: EventHub;
  layout: DataDirLayout;
  log: Logger;
  /** What runs this core, as system.service answers it. */
  siteProcess: SiteProcess;
  /** Starts supervising the site's deployments (long-lived cores only); false when another process already does. */
  supervise(): boolean;
  close(): void;
}

export function openCore(options: CoreOptions): Core {
  const layout = prepareDataDir(options.dataDir);
  const db: Db = openDatabase(layout.database);
  const now = options.now ?? (() => new Date());
  const log = fileLogger(layout.logs, 'core');
  const events = new EventHub(log);
  const identity = new IdentityService({
    repository: new IdentityRepository(db),
    vault: new KeyVault(layout.keys),
    now,
    hostname: () => os.hostname(),
    randomSuffix: () => randomBytes(3).toString('hex'),
  });
  const nodes = new NodeRepository(db);
  const discovery = new DiscoveryService({ nodes, readLocalFacts, now });
  const jobs = new JobRegistry(() => randomBytes(8).toString('hex'));
  const site = new SiteRepository(db);
  const siteKey = new KeyVault(layout.keys).privateKeyPath('ssh');
  // Every capability's SSH goes through this one instance: discovery's pins checked, a changed key recorded as offered.
  const ssh = new PinnedSsh({ pins: site, nodes: site, readPrivateKey: (path) => readPrivateKey(path, siteKey), now });
  const scan = new SiteScan({
    repository: site,
    jobs,
    connectTcp,
    openShell: (target, connect) => ssh.openAddress(target, connect),
    readPrivateKey: (path) => readPrivateKey(path, siteKey),
    progress: (progress) => events.emit('discovery.scanProgress', progress),
    now,
    nonce: () => randomBytes(16).toString('hex'),
  });
  const journal = new Journal(db, now);
  const planner: PlannerService = new PlannerService({
    plans: new PlanRepository(db),
    inventory: () => nodes.hardware(),
    nodeModelFiles: (name) => site.nodes().find((n) => n.name === name)?.inventory.modelFiles ?? null,
    readNodeGguf: async (node, file, signal) => {
      const session = await ssh.open(node, { timeoutMs: 15_000, signal });
      try {
        return await readNodeGgufHeader(session, node, file, { signal });
      } finally {
        session.close();
      }
    },
    now,
    // Called only once the core is open, so workers (made below) exists by then.
    deploymentsUsing: (planId) => workers.deploymentsUsingPlan(planId),
    calibration: new CalibrationRepository(db),
    journal,
    releases: () => sync.service.modelReleases(),
    modelDirs: () => [path.join(layout.root, 'models')],
  });
  const router = new RouterService({
    repository: new RouterRepository(db),
    reports: new RouterReportReader(layout.root),
    journal,
    now,
    newKeyParts: () => ({ id: randomBytes(6).toString('hex'), secret: randomBytes(32).toString('base64url') }),
  });
  const clock = systemClock(now);
  const workers: WorkersService = new WorkersService({
    repository: new DeploymentRepository(db),
    plans: (id) => planner.get(id).plan,
    models: { fileOfPlan: (id) => planner.modelFileOf(id), local: localModel },
    replans: { planWithout: (id, lost, signal) => planner.planWithout(id, lost, { smallerQuant: envInteger('OUTPOST_REPLAN_SMALLER_QUANT', 0, { min: 0, max: 1 }) === 1, signal }) },
    endpoints: (names, user, keyPath) => {
      const privateKey = readPrivateKey(keyPath, siteKey);
      return new Map(names.map((name) => [name, { ...ssh.resolve(name, { user, privateKey }), ssh }]));
    },
    openHosts: (endpoints) => new PinnedHosts(endpoints),
    gpus: (name) =>
      site
        .nodes()
        .find((n) => n.name === name)
        ?.inventory.gpus.map((g) => ({ index: g.index, catalogName: catalogNameForGpu(g.name, g.memoryTotalMiB) })) ?? [],
    head: headApi,
    newKeyPair: generateSshKeyPair,
    router: {
      register: (name, url, model, slots) => void router.addEndpoint({ name, url, tier: 'site', models: [model], slots, replace: true }),
      withdraw: (name) => {
        if (router.endpoints().some((e) => e.name === name)) router.removeEndpoint(name);
      },
      inFlight: (name) => routerInFlight(router.status(), name),
    },
    releases: { list: () => sync.service.modelReleases(), planWith: (id, model, signal) => planner.planWith(id, model, signal) },
    jobs,
    journal,
    events: {
      progress: (p) => events.emit('workers.launchProgress', p),
      changed: (c) => events.emit('workers.changed', c),
      token: (requestId, text) => events.emit('workers.promptToken', { requestId, text }),
    },
    clock,
    newId: () => randomBytes(5).toString('hex'),
    inventoriedLogin: (name) => site.nodes().find((n) => n.name === name)?.login?.user ?? null,
    localUser: () => os.userInfo().username,
    // 4: llama.cpp prints its per-device buffer sizes (what plan vs actual reads) from this level up.
    logVerbosity: envInteger('OUTPOST_ENGINE_LOG_VERBOSITY', 4, { min: 0, max: 5 }),
    owner: ownerId(path.join(layout.root, 'workers-owner')),
    localProcesses,
    actuals: new ActualsRepository(db),
    calibrate: (samples) => planner.recordSamples(samples.map((s) => ({ ...s, site: identity.show().siteId }))),
  });
  let supervisor: Supervisor | null = null;
  const telemetry = openTelemetry(db, now, siteFacts({ db, identity, sync: () => sync.service, routerRunning: () => router.status().running }));
  const sync = openSync({
    db,
    journal,
    dataDir: layout.root,
    identity,
    vault: new KeyVault(layout.keys),
    events,
    now,
    // HQ's policy record owns the router's policy: the router writes it on the same connection, inside the import's transaction.
    routerPolicy: { read: () => router.policy(), write: (policy) => void router.setPolicy(policy) },
    operations: (peer, sequence) => telemetry.service.siteReport(peer, sequence),
    calibration: { siteRecords: () => planner.siteCalibration(), applyFromHq: (records) => planner.applyHqCalibration(records) },
  });
  const setup = new SetupService({
    facts: () => {
      const own = identity.current();
      return {
        identity: own ? { siteId: own.siteId, sshFingerprint: own.sshKey.fingerprint } : null,
        hqPeers: sync.service
          .peers()
          .filter((p) => p.role === 'hq')
          .map((p) => p.siteId),
        nodes: site.nodes().map((n) => ({ name: n.name, hostKeyChanged: n.hostKey?.offered != null })),
        confirmations: confirmationsFromJournal(journal.succeeded('setup.confirm', 100)),
      };
    },
  });
  let sampler: Sampler | null = null;
  const siteProcess: SiteProcess = {
    kind: options.service ? 'service' : 'in-process',
    pid: process.pid,
    instance: options.service?.instance ?? randomBytes(8).toString('hex'),
    startedAt: options.service?.startedAt ?? now().toISOString(),
    managedBy: options.service?.managedBy ?? null,
    dataDir: layout.root,
    appVersion: appVersion(),
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
  };
  let routerSupervisor: RouterSupervisor | null = null;
  const routerListen = openListenService(layout.root, { router, supervisor: () => routerSupervisor });
  // Each capability contributes its slice; the type refuses a declared call left without a handler.
  const handlers: Handlers = {
    ...systemHandlers({ db, layout, identity, journal, now, version: appVersion(), lastExchangeAt: () => sync.service.lastExchangeAt(), offlineLimitHours: () => telemetry.service.settings().offlineLimitHours, siteProcess }),
    ...identityHandlers(identity, events),
    ...discoveryHandlers({ workstation: discovery, scan, site, jobs, now }, events),
    ...plannerHandlers(planner),
    ...routerHandlers(router, routerListen),
    ...workersHandlers(workers),
    ...telemetryHandlers(telemetry.service),
    ...syncHandlers(sync, jobs, events),
    ...setupHandlers(setup),
  };
  return {
    dispatcher: new Dispatcher(handlers, journal, log),
    events,
    layout,
    log,
    siteProcess,
    supervise: () => {
      supervisor ??= new Supervisor(workers, {
        intervalMs: envInteger('OUTPOST_SUPERVISE_INTERVAL_MS', 2000, { min: 100, max: 600_000 }),
        backoffBaseMs: 1000,
        backoffCapMs: 60_000,
        unhealthyLimit: 3,
        stableMs: 120_000,
        replanGraceMs: envInteger('OUTPOST_REPLAN_GRACE_MS', DEFAULT_REPLAN_GRACE_MS, { min: 0, max: 86_400_000 }),
        lock: supervisorLock(layout.root),
        clock,
        head: headApi,
        log: (message, fields) => log.info(message, fields),
      });
      const started = supervisor.start();
      // The sampler rides on the supervisor's lock: one long-lived core per data dir samples the site.
      if (started) {
        const routerReports = new RouterReportReader(layout.root);
        sampler ??= new Sampler({
          store: telemetry.store,
          facts: telemetry.facts,
          workstation: workstationLoadReader(),
          remote: { open: (node) => ssh.open(node, { timeoutMs: 10_000 }) },
          router: () => routerReports.liveStats(),
          now,
          events: { tick: (p) => events.emit('telemetry.tick', p), alert: (a) => events.emit('telemetry.alert', a) },
          log: (message, fields) => log.info(message, fields),
          intervalMs: envInteger('OUTPOST_TELEMETRY_INTERVAL_MS', 1000, { min: 100, max: 60_000 }),
        });
        sampler.start();
        routerSupervisor ??= superviseRouter(layout.root, router, now, log);
      }
      return started;
    },
    close: () => {
      supervisor?.stop();
      sampler?.stop();
      routerSupervisor?.stop();
      db.close();
    },
  };
}

export { callContext } from '../platform/dispatcher.js';
