import type { JournalEntry } from '../../../shared/domain/journal.js';
import type { Db, Journal } from '../../platform/store/index.js';
import { siteTelemetryReport } from '../../telemetry/index.js';

/** What a site reports to HQ, read from the store: the ops journal, the current inventory, telemetry and deployment state. */
export interface SiteReports {
  journalSince(afterId: number): JournalEntry[];
  inventory(): Array<Record<string, unknown>>;
  /** Telemetry since what `peer` acknowledged (remembered under the bundle's sequence), and the deployments. */
  operations(peer: string, sequence: number): ReturnType<typeof siteTelemetryReport>;
}

const MAX_JOURNAL_PER_BUNDLE = 50_000;

export function storeSiteReports(db: Db, journal: Journal): SiteReports {
  return {
    journalSince: (afterId) => journal.since(afterId, MAX_JOURNAL_PER_BUNDLE),
    operations: (peer, sequence) => siteTelemetryReport(db, peer, sequence),
    inventory: () =>
      (db.prepare('SELECT name, kind, address, port, last_seen, inventory_json FROM nodes ORDER BY name').all() as Array<{
        name: string;
        kind: string;
        address: string | null;
        port: number | null;
        last_seen: string;
        inventory_json: string;
      }>).map((row) => ({ name: row.name, kind: row.kind, address: row.address, port: row.port, lastSeen: row.last_seen, inventory: JSON.parse(row.inventory_json) as unknown })),
  };
}
