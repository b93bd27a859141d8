import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { DiscoveryService, NodeRepository, SiteRepository, SiteScan, SshSession, connectTcp, discoveryHandlers, readLocalFacts, readPrivateKey } from '../discovery/index.js';
import { IdentityRepository, IdentityService, KeyVault, identityHandlers } from '../identity/index.js';
import { PlanRepository, PlannerService, plannerHandlers } from '../planner/index.js';
import { RouterReportReader, RouterRepository, RouterService, routerHandlers } from '../router/index.js';
import { openSync, syncHandlers } from '../sync/index.js';
import { Journal, openDatabase, prepareDataDir, type DataDirLayout, type Db } from '../store/index.js';
import { Dispatcher, type CallContext, type Handlers } from './dispatcher.js';
import { EventHub } from './events.js';
import { JobRegistry } from './jobs.js';
import { systemHandlers } from './system-handlers.js';
import { fileLogger, type Logger } from './log.js';
import { appVersion } from './version.js';

export interface CoreOptions {
  dataDir: string;
  now?: () => Date;
}

/** The core: all state and services behind one dispatcher. Every shell opens exactly one. */
export interface Core {
  dispatcher: Dispatcher;
  events: EventHub;
  layout: DataDirLayout;
  log: Logger;
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
  const scan = new SiteScan({
    repository: site,
    jobs,
    connectTcp,
    openShell: (connect) => SshSession.open(connect),
    readPrivateKey: (path) => readPrivateKey(path, siteKey),
    progress: (progress) => events.emit('discovery.scanProgress', progress),
    now,
    nonce: () => randomBytes(16).toString('hex'),
  });
  const planner = new PlannerService({ plans: new PlanRepository(db), inventory: () => nodes.hardware(), now });
  const journal = new Journal(db, now);
  const router = new RouterService({
    repository: new RouterRepository(db),
    reports: new RouterReportReader(layout.root),
    journal,
    now,
    newKeyParts: () => ({ id: randomBytes(6).toString('hex'), secret: randomBytes(32).toString('base64url') }),
  });
  // Each capability contributes its slice; the type refuses a declared call left without a handler.
  const handlers: Handlers = {
    ...systemHandlers({ db, layout, identity, journal, now, version: appVersion() }),
    ...identityHandlers(identity, events),
    ...discoveryHandlers({ workstation: discovery, scan, site, jobs, now }, events),
    ...plannerHandlers(planner),
    ...routerHandlers(router),
    ...syncHandlers(openSync({ db, journal, dataDir: layout.root, identity, vault: new KeyVault(layout.keys), events, now }), jobs),
  };
  return {
    dispatcher: new Dispatcher(handlers, journal, log),
    events,
    layout,
    log,
    close: () => db.close(),
  };
}

/** Who is calling, as the journal records it. */
export function callContext(actor: CallContext['actor'], signal?: AbortSignal): CallContext {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // A uid without a passwd entry (containers) has no name; the journal says so.
  }
  return { actor, user, signal };
}

