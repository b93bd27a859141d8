import type { DiscoveryService } from '../discovery/index.js';
import type { IdentityService } from '../identity/index.js';
import type { DataDirLayout, Db, Journal } from '../store/index.js';
import type { Handlers } from './dispatcher.js';
import type { EventHub } from './events.js';

export interface HandlerDeps {
  db: Db;
  layout: DataDirLayout;
  identity: IdentityService;
  discovery: DiscoveryService;
  journal: Journal;
  events: EventHub;
  now: () => Date;
  version: string;
}

/** Hours offline before the health report says a bundle exchange is overdue (PRODUCT.md). */
const DEFAULT_OFFLINE_LIMIT_HOURS = 72;

/** Wires each declared call to its service; events are emitted here, after the state change succeeded. */
export function createHandlers(deps: HandlerDeps): Handlers {
  const { identity, discovery, events } = deps;
  const announce = () => {
    const current = identity.show();
    events.emit('identity.changed', { siteId: current.siteId, signingFingerprint: current.signingKey.fingerprint });
  };
  return {
    'system.status': () => {
      const site = identity.current();
      const last = deps.db.prepare('SELECT max(at) AS at FROM bundle_exchanges').get() as { at: string | null };
      const hours = last.at === null ? null : Math.max(0, (deps.now().getTime() - Date.parse(last.at)) / 3_600_000);
      return {
        appVersion: deps.version,
        dataDir: deps.layout.root,
        schemaVersion: deps.db.pragma('user_version', { simple: true }) as number,
        site: site ? { siteId: site.siteId, role: site.role } : null,
        lastBundleExchangeAt: last.at,
        hoursSinceLastExchange: hours,
        offlineLimitHours: DEFAULT_OFFLINE_LIMIT_HOURS,
      };
    },
    'system.journal': ({ limit }) => deps.journal.recent(limit),
    'identity.show': () => identity.show(),
    'identity.init': (input) => {
      const result = identity.init(input);
      announce();
      return result;
    },
    'identity.rotate': (input) => {
      const result = identity.rotate(input);
      announce();
      return result;
    },
    'discovery.workstation': () => discovery.storedWorkstation(),
    'discovery.local': async () => {
      const inventory = await discovery.inventoryWorkstation();
      events.emit('discovery.localUpdated', inventory);
      return inventory;
    },
  };
}
