import type { IdentityService } from '../identity/index.js';
import type { DataDirLayout, Db, Journal } from '../store/index.js';
import type { HandlersFor } from './dispatcher.js';

export interface SystemDeps {
  db: Db;
  layout: DataDirLayout;
  identity: IdentityService;
  journal: Journal;
  now: () => Date;
  version: string;
}

/** Hours offline before the health report says a bundle exchange is overdue (PRODUCT.md). */
const DEFAULT_OFFLINE_LIMIT_HOURS = 72;

/** Calls about the installation itself, which belong to no one capability. */
export function systemHandlers(deps: SystemDeps): HandlersFor<'system'> {
  return {
    'system.status': () => {
      const site = deps.identity.current();
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
  };
}
