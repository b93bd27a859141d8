import { OutpostError } from '../../shared/errors.js';
import type { HandlersFor } from '../platform/dispatcher.js';
import type { EventHub } from '../platform/events.js';
import type { JobRegistry } from '../platform/jobs.js';
import type { BundleExporter } from './core/bundle-export.js';
import type { BundleImporter } from './core/bundle-import.js';
import type { DriveService } from './drives.js';
import type { SyncService } from './service.js';

export interface SyncParts {
  service: SyncService;
  exporter: BundleExporter;
  importer: BundleImporter;
  drives: DriveService;
}

const JOB_KIND = 'sync';

export function syncHandlers({ service, exporter, importer, drives }: SyncParts, jobs: JobRegistry, events: EventHub): HandlersFor<'sync'> {
  /** Runs a long job under the registry, so `sync.cancel` (the window's Cancel) and the caller's own abort both stop it. */
  const asJob = async <T>(jobId: string | undefined, signal: AbortSignal | undefined, what: string, work: (signal: AbortSignal, id: string) => Promise<T>): Promise<T> => {
    const job = jobs.start(JOB_KIND, { id: jobId, signal });
    try {
      return await work(job.signal, job.id);
    } catch (error) {
      if (job.signal.aborted) throw new OutpostError('CANCELLED', `the ${what} was cancelled`, 'nothing was applied; run it again to resume (verified chunks stay staged)');
      throw error;
    } finally {
      job.finish();
    }
  };
  return {
    'sync.trustExport': ({ to }) => service.trustFile(to),
    'sync.trustInspect': ({ path, role }) => service.inspectTrust(path, role),
    'sync.trustAdd': ({ path, fingerprint, role }) => service.addTrust(path, fingerprint, role),
    'sync.trustRemove': ({ site }) => service.removeTrust(site),
    'sync.trustList': () => service.peers(),
    'sync.releaseModel': ({ jobId, ...request }, context) => asJob(jobId, context.signal, 'release', (signal, id) => service.releaseModel(request, signal, id)),
    'sync.releasePolicy': ({ policy }) => service.releasePolicy(policy),
    'sync.releaseCalibration': ({ calibration }) => service.releaseCalibration(calibration),
    'sync.records': ({ kind }) => service.records(kind),
    'sync.export': async ({ jobId, ...request }, context) => {
      const resolved = await drives.resolve(request);
      const result = await asJob(jobId, context.signal, 'export', (signal, id) => exporter.export(resolved, signal, id));
      events.emit('sync.exchanged', { direction: 'export', peer: result.bundle.recipient, sequence: result.bundle.sequence });
      return result;
    },
    'sync.exportPlan': (request) => drives.plan(request),
    'sync.drives': () => drives.list(),
    'sync.verify': ({ media, jobId }, context) => asJob(jobId, context.signal, 'verification', (signal, id) => importer.verify(media, signal, id)),
    'sync.import': async ({ media, dryRun, jobId }, context) => {
      const result = await asJob(jobId, context.signal, 'import', (signal, id) => importer.import(media, dryRun, signal, id));
      if (result.state === 'applied') events.emit('sync.exchanged', { direction: 'import', peer: result.bundle.issuer, sequence: result.bundle.sequence });
      return result;
    },
    'sync.exchanges': ({ limit }) => service.exchanges(limit),
    'sync.cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId, JOB_KIND) }),
  };
}
