import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { DiscoveryService, NodeRepository, discoveryHandlers, readLocalFacts } from '../discovery/index.js';
import { IdentityRepository, IdentityService, KeyVault, identityHandlers } from '../identity/index.js';
import { PlanRepository, PlannerService, plannerHandlers } from '../planner/index.js';
import { Journal, openDatabase, prepareDataDir, type DataDirLayout, type Db } from '../store/index.js';
import { Dispatcher, type CallContext, type Handlers } from './dispatcher.js';
import { EventHub } from './events.js';
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
  const planner = new PlannerService({ plans: new PlanRepository(db), inventory: () => nodes.hardware(), now });
  const journal = new Journal(db, now);
  // Each capability contributes its slice; the type refuses a declared call left without a handler.
  const handlers: Handlers = {
    ...systemHandlers({ db, layout, identity, journal, now, version: appVersion() }),
    ...identityHandlers(identity, events),
    ...discoveryHandlers(discovery, events),
    ...plannerHandlers(planner),
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

