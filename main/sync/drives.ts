import path from 'node:path';
import type { Drive, ExportPlan } from '../../shared/domain/drives.js';
import { OutpostError } from '../../shared/errors.js';
import { bundlesOn, type DriveSource } from './adapters/drive-source.js';
import type { BundleExporter, DriveChoice, ExportRequest } from './core/bundle-export.js';
import { removableDrives } from './core/drives.js';

/** What the window and the CLI send: drives by mount point, or a typed directory. */
export interface DriveExportRequest {
  to?: string | undefined;
  drives?: string[] | undefined;
  for?: string | undefined;
  maxMediumSize?: number | undefined;
}

/** Mounted removable drives as export targets and import sources. */
export class DriveService {
  constructor(
    private readonly source: DriveSource,
    private readonly exporter: BundleExporter,
    /** This installation's site id (null before `keys init`), to tell its own exports from bundles to import. */
    private readonly me: () => string | null,
  ) {}

  async list(): Promise<Drive[]> {
    const [devices, sizes] = await Promise.all([this.source.blockDevices(), this.source.fsSize()]);
    return removableDrives(devices, sizes).map((drive) => ({ ...drive, bundles: bundlesOn(drive.mount, this.me()) }));
  }

  async plan(request: DriveExportRequest): Promise<ExportPlan> {
    return this.exporter.plan(await this.resolve(request));
  }

  /** The chosen mount points as drives with their labels and free space now, in the order given (medium 1 first). */
  async resolve(request: DriveExportRequest): Promise<ExportRequest> {
    if (!request.drives) return { ...request, drives: undefined };
    const drives = await this.list();
    const seen = new Set<string>();
    const chosen: DriveChoice[] = request.drives.map((given) => {
      const mount = path.resolve(given);
      const drive = drives.find((d) => d.mount === mount);
      if (!drive) throw new OutpostError('NOT_FOUND', `${given} is not a mounted removable drive`, 'plug the drive in and wait until it is mounted (`outpost drives` lists them), or type a directory instead');
      if (seen.has(mount)) throw new OutpostError('INVALID_INPUT', `the drive ${drive.label} is chosen twice`, 'choose each drive once');
      seen.add(mount);
      return { mount, label: drive.label, free: drive.free };
    });
    return { ...request, drives: chosen };
  }
}
