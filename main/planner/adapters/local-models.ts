import fs from 'node:fs';
import path from 'node:path';

/** The .gguf files directly in `dir` (none when it does not exist), with their sizes. */
export function ggufFilesIn(dir: string): Array<{ path: string; sizeBytes: number }> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile() && /\.gguf$/i.test(e.name)).flatMap((e) => existingFile(path.join(dir, e.name)) ?? []);
}

/** A regular file's path and size; null when it is gone or not a file. */
export function existingFile(file: string): { path: string; sizeBytes: number } | null {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? { path: file, sizeBytes: stat.size } : null;
  } catch {
    return null;
  }
}
