import { InventoryReads } from '../../discovery/index.js';
import type { Db, Journal } from '../../platform/store/index.js';
import type { SiteReports } from '../core/ports.js';

const MAX_JOURNAL_PER_BUNDLE = 50_000;

/** What a site reports to HQ, read through the capabilities that own it: the ops journal, the inventory, and (from telemetry) its rollups and the deployments. */
export function storeSiteReports(db: Db, journal: Journal, operations: SiteReports['operations']): SiteReports {
  const inventory = new InventoryReads(db);
  return {
    journalSince: (afterId) => journal.since(afterId, MAX_JOURNAL_PER_BUNDLE),
    operations,
    inventory: () => inventory.reportedNodes(),
  };
}
