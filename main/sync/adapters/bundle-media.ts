import fs from 'node:fs';
import path from 'node:path';
import { LIMITS, MediumDescriptorSchema, type MediumDescriptor } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { BundleMediaReader, BundleMediaWriter, BundleTarget, Medium } from '../core/ports.js';

export const ENVELOPE_FILE = 'envelope.json';
export const MEDIUM_FILE = 'medium.json';
export const CHUNKS_DIR = 'chunks';

function refuse(message: string, hint = 'check the medium; nothing was imported'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/** A directory that is really a directory here, not a link leading somewhere else on the machine. */
function realDirectory(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a small file without following links and without trusting its size. */
export function readSmallFile(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ELOOP') refuse(`${file} is a symbolic link; a bundle holds plain files only`);
    refuse(`${file} cannot be read (${code ?? 'error'})`, 'is the medium fully copied and mounted?');
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) refuse(`${file} is not a plain file`);
    if (stat.size > limit) refuse(`${file} is ${stat.size} bytes, over the ${limit}-byte limit`);
    const bytes = Buffer.allocUnsafe(stat.size);
    const read = fs.readSync(fd, bytes, 0, stat.size, 0);
    return bytes.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each given path is a medium (it holds envelope.json) or a folder of media
 * (`medium-1`, `medium-2`, … as export writes them): several drives can be
 * named at once, or one at a time.
 */
export function findMedia(paths: readonly string[]): Medium[] {
  const dirs: string[] = [];
  for (const given of paths) {
    const dir = path.resolve(given);
    if (!realDirectory(dir)) refuse(`${dir} is not a directory (or is a link to one)`, 'name the bundle directory or a medium-N directory inside it');
    if (fs.existsSync(path.join(dir, ENVELOPE_FILE))) {
      dirs.push(dir);
      continue;
    }
    const inner = fs
      .readdirSync(dir)
      .filter((name) => /^medium-\d+$/.test(name))
      .map((name) => path.join(dir, name))
      .filter((d) => realDirectory(d) && fs.existsSync(path.join(d, ENVELOPE_FILE)));
    if (inner.length === 0) refuse(`${dir} holds no Outpost bundle (no ${ENVELOPE_FILE}, no medium-N folders)`, 'name the directory `outpost bundle export --to` wrote');
    dirs.push(...inner);
  }
  return dirs.map((dir) => {
    if (!realDirectory(path.join(dir, CHUNKS_DIR))) refuse(`${dir} has no ${CHUNKS_DIR}/ folder, or it is a link`, 'copy the whole medium directory');
    const envelope = readSmallFile(path.join(dir, ENVELOPE_FILE), LIMITS.envelopeBytes);
    let descriptor: MediumDescriptor;
    try {
      descriptor = MediumDescriptorSchema.parse(JSON.parse(readSmallFile(path.join(dir, MEDIUM_FILE), 64 * 1024).toString('utf8')));
    } catch (error) {
      if (error instanceof OutpostError) throw error;
      refuse(`${path.join(dir, MEDIUM_FILE)} is not a medium descriptor`);
    }
    return { dir, envelope, descriptor };
  });
}

/**
 * A chunk's bytes, exactly `size` of them (into the caller's buffer when given): a missing file, a link, a short
 * file (a truncated copy) or a longer one (endless data) is refused before
 * its content is read.
 */
export async function readMediumChunk(medium: Medium, digest: string, size: number, into: Buffer = Buffer.allocUnsafe(size)): Promise<Buffer> {
  const file = path.join(medium.dir, CHUNKS_DIR, digest);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ELOOP') refuse(`chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index} is a symbolic link`);
    refuse(`chunk ${digest.slice(0, 12)}… is missing from medium ${medium.descriptor.index} (${medium.dir})`, 'the medium was not copied completely; copy it again');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) refuse(`chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index} is not a plain file`);
    if (stat.size < size) refuse(`chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index} is truncated (${stat.size} of ${size} bytes)`, 'the medium was not copied completely; copy it again');
    if (stat.size > size) refuse(`chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index} is ${stat.size} bytes, more than the ${size} declared`);
    const bytes = into.subarray(0, size);
    const { bytesRead } = await handle.read(bytes, 0, size, 0);
    if (bytesRead !== size) refuse(`chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index} is truncated`);
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * Writes a bundle under a hidden temporary name beside the target and renames
 * it into place only when complete, so a cancelled or failed export never
 * leaves a directory that looks like a bundle.
 */
export class BundleWriter implements BundleTarget {
  private readonly mediumDirs: string[] = [];

  private constructor(
    readonly target: string,
    private readonly partial: string,
  ) {}

  static create(target: string): BundleWriter {
    const resolved = path.resolve(target);
    if (fs.existsSync(resolved)) {
      const isEmptyDir = realDirectory(resolved) && fs.readdirSync(resolved).length === 0;
      if (!isEmptyDir) throw new OutpostError('CONFLICT', `${resolved} already exists and is not empty`, 'choose a new directory for the bundle; nothing was written');
    }
    const parent = path.dirname(resolved);
    if (!realDirectory(parent)) throw new OutpostError('INVALID_INPUT', `${parent} is not a directory`, 'mount the medium or create the parent folder first');
    const partial = path.join(parent, `.${path.basename(resolved)}.partial-${process.pid}`);
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial);
    return new BundleWriter(resolved, partial);
  }

  /** The directory of medium `index` of `count`; a one-medium bundle is the bundle directory itself. */
  medium(index: number, count: number): { dir: string; finalDir: string } {
    const name = count === 1 ? '' : `medium-${index}`;
    const dir = path.join(this.partial, name);
    fs.mkdirSync(path.join(dir, CHUNKS_DIR), { recursive: true });
    this.mediumDirs.push(dir);
    return { dir, finalDir: path.join(this.target, name) };
  }

  /** No fsync per chunk: `finalize` syncs each chunks/ folder once, before the rename that makes the bundle look complete. */
  async writeChunk(mediumDir: string, digest: string, bytes: Uint8Array): Promise<void> {
    await fs.promises.writeFile(path.join(mediumDir, CHUNKS_DIR, digest), bytes, { flag: 'wx' });
  }

  writeMeta(mediumDir: string, envelope: Buffer, descriptor: MediumDescriptor): void {
    for (const [name, bytes] of [
      [ENVELOPE_FILE, envelope],
      [MEDIUM_FILE, Buffer.from(`${JSON.stringify(descriptor, null, 2)}\n`)],
    ] as const) {
      const fd = fs.openSync(path.join(mediumDir, name), 'wx');
      try {
        fs.writeSync(fd, bytes);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }

  finalize(): void {
    for (const dir of this.mediumDirs) for (const sub of [path.join(dir, CHUNKS_DIR), dir]) syncDirectory(sub);
    if (fs.existsSync(this.target)) fs.rmdirSync(this.target);
    fs.renameSync(this.partial, this.target);
  }

  discard(): void {
    fs.rmSync(this.partial, { recursive: true, force: true });
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

/** Bundles as directories on mounted media. */
export const directoryMedia: { reader: BundleMediaReader; writer: BundleMediaWriter } = {
  reader: { find: findMedia, readChunk: readMediumChunk },
  writer: { create: (target) => BundleWriter.create(target) },
};
