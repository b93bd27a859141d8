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

/**
 * Opening a FIFO for reading waits for a writer, and a device may never end: a file on a medium is looked at
 * (lstat) before it is opened, opened without blocking and without following links, and looked at again
 * through the open descriptor, so only the plain file that was checked is read.
 */
const NON_BLOCKING_READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

function kindOf(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isDirectory()) return 'a directory';
  return 'not a plain file';
}

/** Refuses anything but the plain file that was looked at; `what` names it in the refusal. */
function requirePlainFile(what: string, stat: fs.Stats, opened?: fs.Stats): void {
  if (!stat.isFile()) refuse(`${what} is ${kindOf(stat)}, not a plain file`, 'a bundle holds plain files only: remove it from the medium and copy the bundle again, or name the directory `outpost bundle export` wrote; nothing was imported');
  if (opened && (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev)) refuse(`${what} changed while it was being opened`, 'leave the medium alone while it is read, then try again');
}

/** Why a file could not be looked at or opened; `ENOENT` gets `absent` when the caller has a better word for it. */
function unreadable(what: string, error: unknown, absent?: () => never): never {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' && absent) absent();
  if (code === 'ELOOP') refuse(`${what} is a symbolic link, not a plain file`, 'a bundle holds plain files only: remove it from the medium and copy the bundle again');
  refuse(`${what} cannot be read (${code ?? 'error'})`, 'is the medium fully copied and mounted?');
}

function openPlainFileSync(file: string): { fd: number; size: number } {
  let stat: fs.Stats;
  let fd: number;
  try {
    stat = fs.lstatSync(file);
    requirePlainFile(file, stat);
    fd = fs.openSync(file, NON_BLOCKING_READ);
  } catch (error) {
    if (error instanceof OutpostError) throw error;
    unreadable(file, error);
  }
  try {
    const opened = fs.fstatSync(fd);
    requirePlainFile(file, stat, opened);
    return { fd, size: opened.size };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

async function openPlainFile(file: string, what: string, absent: () => never): Promise<{ handle: fs.promises.FileHandle; size: number }> {
  let stat: fs.Stats;
  let handle: fs.promises.FileHandle;
  try {
    stat = await fs.promises.lstat(file);
    requirePlainFile(what, stat);
    handle = await fs.promises.open(file, NON_BLOCKING_READ);
  } catch (error) {
    if (error instanceof OutpostError) throw error;
    unreadable(what, error, absent);
  }
  try {
    const opened = await handle.stat();
    requirePlainFile(what, stat, opened);
    return { handle, size: opened.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads a small file that must be a plain one, without following links, blocking on a FIFO, or trusting its size. */
export function readSmallFile(file: string, limit: number): Buffer {
  const { fd, size } = openPlainFileSync(file);
  try {
    if (size > limit) refuse(`${file} is ${size} bytes, over the ${limit}-byte limit`);
    const bytes = Buffer.allocUnsafe(size);
    const read = fs.readSync(fd, bytes, 0, size, 0);
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
  const name = `chunk ${digest.slice(0, 12)}… on medium ${medium.descriptor.index}`;
  const { handle, size: found } = await openPlainFile(file, `${name} (${file})`, () => refuse(`chunk ${digest.slice(0, 12)}… is missing from medium ${medium.descriptor.index} (${medium.dir})`, 'the medium was not copied completely; copy it again'));
  try {
    if (found < size) refuse(`${name} is truncated (${found} of ${size} bytes)`, 'the medium was not copied completely; copy it again');
    if (found > size) refuse(`${name} is ${found} bytes, more than the ${size} declared`);
    const bytes = into.subarray(0, size);
    const { bytesRead } = await handle.read(bytes, 0, size, 0);
    if (bytesRead !== size) refuse(`${name} is truncated`);
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
