import fs from 'node:fs';
import type { RouterPolicy } from '../../shared/domain/router.js';
import type { EventHub } from '../platform/events.js';
import type { IdentityService, KeyVault } from '../identity/index.js';
import type { Db, Journal } from '../platform/store/index.js';
import { directoryMedia } from './adapters/bundle-media.js';
import { listingFileDrives, systemDrives, type DriveSource } from './adapters/drive-source.js';
import { threadedHasher } from './adapters/file-hash-thread.js';
import { FileStore } from './adapters/file-store.js';
import { storeSiteReports } from './adapters/site-reports.js';
import { SyncRepository } from './adapters/sync-repository.js';
import { BundleExporter } from './core/bundle-export.js';
import { BundleImporter } from './core/bundle-import.js';
import type { CalibrationExchange, SiteReports, SyncDeps } from './core/ports.js';
import { DriveService } from './drives.js';
import { SyncService } from './service.js';
import { syncHandlers, type SyncParts } from './handlers.js';

export { SyncService, BundleExporter, BundleImporter, SyncRepository, FileStore, DriveService, syncHandlers, listingFileDrives, type DriveSource, type SyncDeps, type SyncParts };
export { BUNDLE_VALIDITY_DAYS } from './core/bundle-export.js';
export { parseSize } from './core/media-plan.js';
export { DEFAULT_CHUNKING, StreamingChunker, chunkLengths } from './core/fastcdc.js';
export { pae, envelopeFor, signEd25519Pem, verifyEd25519 } from './core/dsse.js';

export interface SyncOptions {
  db: Db;
  journal: Journal;
  dataDir: string;
  identity: IdentityService;
  vault: KeyVault;
  events: EventHub;
  now: () => Date;
  /** The router's policy, read and written through the router on the same connection, so an import writes it inside its transaction. */
  routerPolicy: { read(): RouterPolicy; write(policy: RouterPolicy): void };
  /** A site's telemetry and deployments for `peer` (telemetry's site report). */
  operations: SiteReports['operations'];
  /** The planner's calibration records, carried site → HQ and HQ → site. */
  calibration?: CalibrationExchange;
  /** Where removable drives are listed from; by default this machine's (or OUTPOST_DRIVES_LISTING's, see drive-source.ts). */
  drives?: DriveSource;
}

/** Builds the sync capability on the core's store, key vault and event hub. */
export function openSync(options: SyncOptions): SyncParts {
  const deps: SyncDeps = {
    repository: new SyncRepository(options.db),
    files: new FileStore(options.dataDir),
    media: directoryMedia,
    hasher: threadedHasher,
    identity: options.identity,
    sign: (message) => options.vault.sign(message),
    reports: storeSiteReports(options.db, options.journal, options.operations),
    clock: { now: options.now },
    progress: (progress) => options.events.emit('sync.progress', progress),
    freeBytes: () => {
      const stat = fs.statfsSync(options.dataDir);
      return stat.bavail * stat.bsize;
    },
    routerPolicy: options.routerPolicy,
    calibration: options.calibration,
  };
  const exporter = new BundleExporter(deps);
  const listing = process.env.OUTPOST_DRIVES_LISTING;
  const driveSource = options.drives ?? (listing ? listingFileDrives(listing) : systemDrives);
  return { service: new SyncService(deps), exporter, importer: new BundleImporter(deps), drives: new DriveService(driveSource, exporter, () => options.identity.current()?.siteId ?? null) };
}
