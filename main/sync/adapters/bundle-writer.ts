import fs from 'node:fs';
import path from 'node:path';
import type { MediumDescriptor } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { BundleTarget } from '../core/ports.js';

export const ENVELOPE_FILE = 'envelope.json';
export const MEDIUM_FILE = 'medium.json';
export const CHUNKS_DIR = 'chunks';
/** Written first, removed last: a bundle holding it was never finished, and an import refuses it. */
export const INCOMPLETE_MARKER = 'EXPORT-INCOMPLETE.txt';
const MARKER_TEXT = 'This Outpost bundle was not finished: the export stopped (the drive was removed, or it failed).\nOutpost refuses to import it. Export the bundle again.\n';
/** Files flushed to the drive at once when the bundle is finalized. */
const FLUSH_PARALLEL = 8;

/** A directory that is really a directory here, not a link leading somewhere else on the machine. */
export function realDirectory(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Free bytes for an unprivileged writer on the file system of `target`, or of its nearest existing folder. */
export function freeBytes(target: string): number {
  let dir = path.resolve(target);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const stat = fs.statfsSync(dir);
  return stat.bavail * stat.bsize;
}

/** Where a bundle (or one medium of it, on its own drive) is written, and where it is renamed to once complete. */
interface Place {
  parent: string;
  partial: string;
  final: string;
  opened: boolean;
}

/**
 * Writes a bundle under a hidden temporary name beside each target, marked
 * incomplete, and renames it into place only once every file is flushed to
 * the drive, so a cancelled or failed export never leaves a directory that
 * looks like a bundle, and a drive pulled out mid-way keeps one that says it
 * is unfinished.
 */
export class BundleWriter implements BundleTarget {
  private readonly mediumDirs: string[] = [];
  private readonly files: string[] = [];

  private constructor(private readonly places: Place[]) {}

  get target(): string {
    return (this.places[0] as Place).final;
  }

  static create(target: string): BundleWriter {
    const writer = new BundleWriter([placeFor(target)]);
    writer.open(writer.places[0] as Place);
    return writer;
  }

  /** One medium per target, each opened only when its medium is written. */
  static onDrives(targets: readonly string[]): BundleWriter {
    if (targets.length === 0) throw new OutpostError('INVALID_INPUT', 'no drive was chosen', 'choose a drive or type a directory');
    return new BundleWriter(targets.map(placeFor));
  }

  /** The directory of medium `index` of `count`; a one-medium bundle is the bundle directory itself. */
  medium(index: number, count: number): { dir: string; finalDir: string } {
    const place = (this.places.length === 1 ? this.places[0] : this.places[index - 1]) as Place;
    if (!place.opened) this.open(place);
    const name = count === 1 ? '' : `medium-${index}`;
    const dir = path.join(place.partial, name);
    this.guard(place, () => fs.mkdirSync(path.join(dir, CHUNKS_DIR), { recursive: true }));
    this.mediumDirs.push(dir);
    return { dir, finalDir: path.join(place.final, name) };
  }

  /** Not flushed one by one: `finalize` flushes every file before the rename that makes the bundle look complete. */
  async writeChunk(mediumDir: string, digest: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(mediumDir, CHUNKS_DIR, digest);
    await this.guardAsync(this.placeOf(mediumDir), () => fs.promises.writeFile(file, bytes, { flag: 'wx' }));
    this.files.push(file);
  }

  writeMeta(mediumDir: string, envelope: Buffer, descriptor: MediumDescriptor): void {
    for (const [name, bytes] of [
      [ENVELOPE_FILE, envelope],
      [MEDIUM_FILE, Buffer.from(`${JSON.stringify(descriptor, null, 2)}\n`)],
    ] as const) {
      this.guard(this.placeOf(mediumDir), () => writeSynced(path.join(mediumDir, name), bytes));
    }
  }

  /** Flushes every chunk and folder to the drive, then removes the marker and renames: after this the drive is safe to remove. */
  async finalize(): Promise<void> {
    for (let i = 0; i < this.files.length; i += FLUSH_PARALLEL) {
      await Promise.all(this.files.slice(i, i + FLUSH_PARALLEL).map((file) => this.guardAsync(this.placeOfFile(file), () => flushFile(file))));
    }
    for (const dir of this.mediumDirs) for (const sub of [path.join(dir, CHUNKS_DIR), dir]) this.guard(this.placeOf(dir), () => syncDirectory(sub));
    for (const place of this.places.filter((p) => p.opened)) {
      this.guard(place, () => {
        fs.rmSync(path.join(place.partial, INCOMPLETE_MARKER));
        syncDirectory(place.partial);
        if (fs.existsSync(place.final)) fs.rmdirSync(place.final);
        fs.renameSync(place.partial, place.final);
        syncDirectory(place.parent);
      });
    }
  }

  /** Removes what was written where the drive is still there; a drive already gone keeps its marked, unfinished copy. */
  discard(): void {
    for (const place of this.places.filter((p) => p.opened)) fs.rmSync(place.partial, { recursive: true, force: true });
  }

  private open(place: Place): void {
    if (fs.existsSync(place.final)) {
      const isEmptyDir = realDirectory(place.final) && fs.readdirSync(place.final).length === 0;
      if (!isEmptyDir) throw new OutpostError('CONFLICT', `${place.final} already exists and is not empty`, 'choose a new directory for the bundle; nothing was written');
    }
    if (!realDirectory(place.parent)) throw new OutpostError('INVALID_INPUT', `${place.parent} is not a directory`, 'mount the medium or create the parent folder first');
    fs.rmSync(place.partial, { recursive: true, force: true });
    fs.mkdirSync(place.partial);
    writeSynced(path.join(place.partial, INCOMPLETE_MARKER), Buffer.from(MARKER_TEXT));
    place.opened = true;
  }

  private placeOf(mediumDir: string): Place {
    return this.places.find((p) => mediumDir === p.partial || mediumDir.startsWith(p.partial + path.sep)) as Place;
  }

  private placeOfFile(file: string): Place {
    return this.placeOf(path.dirname(path.dirname(file)));
  }

  /** A write that fails because the drive's folder vanished says so, instead of a bare ENOENT. */
  private guard<T>(place: Place, write: () => T): T {
    try {
      return write();
    } catch (error) {
      throw this.explain(place, error);
    }
  }

  private async guardAsync<T>(place: Place, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw this.explain(place, error);
    }
  }

  private explain(place: Place, error: unknown): unknown {
    if (realDirectory(place.parent) && realDirectory(place.partial)) return error;
    return new OutpostError(
      'UNAVAILABLE',
      `the drive at ${place.parent} disappeared while the bundle was being written (was it removed?)`,
      'nothing was recorded here, and the unfinished bundle left on the drive is marked incomplete so no import accepts it: insert the drive again and export again',
    );
  }
}

function placeFor(target: string): Place {
  const final = path.resolve(target);
  const parent = path.dirname(final);
  return { parent, final, partial: path.join(parent, `.${path.basename(final)}.partial-${process.pid}`), opened: false };
}

function writeSynced(file: string, bytes: Buffer): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync flushes the file's dirty pages whichever descriptor wrote them. */
async function flushFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
