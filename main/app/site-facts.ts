import { InventoryReads, SiteRepository } from '../discovery/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Db } from '../platform/store/index.js';
import type { SyncService } from '../sync/index.js';
import type { SiteFacts } from '../telemetry/index.js';
import { liveDeployments } from '../workers/index.js';

/** Telemetry's view of the rest of the site, from the read methods of the capabilities that own each fact. */
export function siteFacts(deps: { db: Db; identity: IdentityService; sync: () => SyncService; routerRunning: () => boolean }): SiteFacts {
  const inventory = new InventoryReads(deps.db);
  const site = new SiteRepository(deps.db);
  return {
    role: () => deps.identity.current()?.role ?? null,
    lastExchangeAt: () => deps.sync().lastExchangeAt(),
    newestModelImportedAt: () => deps.sync().newestModelImportedAt(),
    acknowledgedSequences: (peer) => deps.sync().acknowledgedSequences(peer),
    activeKeys: () => (deps.identity.current()?.history ?? []).filter((k) => k.retiredAt === null).map((k) => ({ kind: k.kind, createdAt: k.createdAt })),
    remoteNodes: () => inventory.remoteAccelerators().map((n) => ({ name: n.name, lastSeen: n.lastSeen, gpus: n.gpus.length, jetson: n.jetson !== null })),
    hostKeyChanges: () => site.nodes().flatMap((n) => (n.hostKey?.offered ? [{ name: n.name, at: n.hostKey.offered.at }] : [])),
    routerRunning: deps.routerRunning,
    liveDeployments: (now) => liveDeployments(deps.db, now),
  };
}
