import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { readGgufHeader, type ByteSource, type GgufHeader } from '../core/gguf-header.js';

/**
 * Reads a GGUF header from disk with bounded, positioned reads: the parser asks for ~64 KiB at
 * a time and never for tensor data, so a 200 GB model costs a few megabytes of I/O at most.
 */
export async function readGgufHeaderFromFile(path: string): Promise<GgufHeader> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OutpostError('NOT_FOUND', `Model file ${path} does not exist.`, 'Check the path, or run `outpost nodes` to see model files found on the site.');
    throw new OutpostError('INVALID_INPUT', `Cannot open model file ${path} (${code ?? 'error'}).`, 'Check the file permissions.', { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OutpostError('INVALID_INPUT', `${path} is not a regular file.`, 'Pick a .gguf model file.');
    const file = handle;
    const source: ByteSource = {
      size: stat.size,
      async read(offset: number, length: number): Promise<Uint8Array> {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await file.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      },
    };
    return await readGgufHeader(source);
  } finally {
    await handle.close();
  }
}

export function modelNameFromPath(path: string): string {
  return basename(path).replace(/\.gguf$/i, '');
}
