import fs from 'node:fs';
import path from 'node:path';
import { LIMITS, MediumDescriptorSchema, type MediumDescriptor } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import type { BundleMediaReader, BundleMediaWriter, Medium } from '../core/ports.js';
import { BundleWriter, CHUNKS_DIR, ENVELOPE_FILE, freeBytes, INCOMPLETE_MARKER, MEDIUM_FILE, realDirectory } from './bundle-writer.js';

function refuse(message: string, hint = 'check the medium; nothing was imported'): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/** An export that stopped before it finished leaves its marker; such a bundle is refused by name. */
function refuseUnfinished(dir: string): void {
  for (const where of [dir, path.dirname(dir)]) {
    if (fs.existsSync(path.join(where, INCOMPLETE_MARKER))) {
      refuse(
        `${where} is an unfinished export (it holds ${INCOMPLETE_MARKER}): the export stopped before the bundle was complete — the drive was removed, or the export failed`,
        'export the bundle again onto this drive and import that one; nothing was imported',
      );
    }
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
    refuseUnfinished(dir);
    if (fs.existsSync(path.join(dir, ENVELOPE_FILE))) {
      dirs.push(dir);
      continue;
    }
    const inner = fs
      .readdirSync(dir)
      .filter((name) => /^medium-\d+$/.test(name))
      .map((name) => path.join(dir, name))
      .filter((d) => realDirectory(d) && fs.existsSync(path.join(d, ENVELOPE_FILE)));
    inner.forEach(refuseUnfinished);
    if (inner.length === 0) {
      // A drive's root holding only an export that was cut short: say that, rather than "no bundle".
      for (const name of fs.readdirSync(dir)) if (realDirectory(path.join(dir, name))) refuseUnfinished(path.join(dir, name));
      refuse(`${dir} holds no Outpost bundle (no ${ENVELOPE_FILE}, no medium-N folders)`, 'name the directory `outpost bundle export --to` wrote');
    }
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

/** Bundles as directories on mounted media. */
export const directoryMedia: { reader: BundleMediaReader; writer: BundleMediaWriter } = {
  reader: { find: findMedia, readChunk: readMediumChunk },
  writer: { create: (target) => BundleWriter.create(target), onDrives: (targets) => BundleWriter.onDrives(targets), freeBytes },
};
