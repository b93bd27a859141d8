import type { SiteProcess } from '../../shared/domain/status.js';
import type { IdentityService } from '../identity/index.js';
import type { DataDirLayout, Db, Journal } from '../platform/store/index.js';
import type { HandlersFor } from '../platform/dispatcher.js';

export interface SystemDeps {
  db: Db;
  layout: DataDirLayout;
  identity: IdentityService;
  journal: Journal;
  now: () => Date;
  version: string;
  /** When a bundle last went out or came in (sync's history). */
  lastExchangeAt: () => string | null;
  /** Hours offline before a bundle exchange is overdue: the health report's configurable limit, so both agree. */
  offlineLimitHours: () => number;
  /** What runs this core (system.service). */
  siteProcess: SiteProcess;
}

/** Calls about the installation itself, which belong to no one capability. */
export function systemHandlers(deps: SystemDeps): HandlersFor<'system'> {
  return {
    'system.status': () => {
      const site = deps.identity.current();
      const lastAt = deps.lastExchangeAt();
      const hours = lastAt === null ? null : Math.max(0, (deps.now().getTime() - Date.parse(lastAt)) / 3_600_000);
      return {
        appVersion: deps.version,
        dataDir: deps.layout.root,
        schemaVersion: deps.db.pragma('user_version', { simple: true }) as number,
        site: site ? { siteId: site.siteId, role: site.role } : null,
        lastBundleExchangeAt: lastAt,
        hoursSinceLastExchange: hours,
        offlineLimitHours: deps.offlineLimitHours(),
      };
    },
    'system.service': () => deps.siteProcess,
    'system.journal': ({ limit }) => deps.journal.recent(limit),
  };
}
