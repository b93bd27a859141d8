import fs from 'node:fs';
import type { EventHub } from '../platform/events.js';
import type { IdentityService, KeyVault } from '../identity/index.js';
import { RouterRepository } from '../router/index.js';
import type { Db, Journal } from '../platform/store/index.js';
import { FileStore } from './adapters/file-store.js';
import { storeSiteReports } from './adapters/site-reports.js';
import { SyncRepository } from './adapters/sync-repository.js';
import { BundleExporter } from './exporter.js';
import { BundleImporter } from './importer.js';
import { SyncService, type SyncDeps } from './service.js';
import { syncHandlers, type SyncParts } from './handlers.js';

export { SyncService, BundleExporter, BundleImporter, SyncRepository, FileStore, syncHandlers, type SyncDeps, type SyncParts };
export { BUNDLE_VALIDITY_DAYS } from './exporter.js';
export { parseSize } from './core/media-plan.js';
export { DEFAULT_CHUNKING, StreamingChunker, chunkLengths } from './core/fastcdc.js';
export { pae, envelopeFor, signEd25519Pem, verifyEd25519 } from './core/dsse.js';

/** Builds the sync capability on the core's store, key vault and event hub. */
export function openSync(options: { db: Db; journal: Journal; dataDir: string; identity: IdentityService; vault: KeyVault; events: EventHub; now: () => Date }): SyncParts {
  // HQ's policy record owns the router's policy table: an import writes it in the same transaction as the record.
  const router = new RouterRepository(options.db);
  const deps: SyncDeps = {
    repository: new SyncRepository(options.db),
    files: new FileStore(options.dataDir),
    identity: options.identity,
    sign: (message) => options.vault.sign(message),
    reports: storeSiteReports(options.db, options.journal),
    dataDir: options.dataDir,
    now: options.now,
    progress: (progress) => options.events.emit('sync.progress', progress),
    freeBytes: () => {
      const stat = fs.statfsSync(options.dataDir);
      return stat.bavail * stat.bsize;
    },
    routerPolicy: {
      read: () => router.policy(),
      write: (policy) => router.savePolicy(policy),
    },
  };
  return { service: new SyncService(deps), exporter: new BundleExporter(deps), importer: new BundleImporter(deps) };
}
