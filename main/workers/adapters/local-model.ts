import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import type { LocalModel } from '../core/ports.js';

const digests = new Map<string, { key: string; sha256: string }>();

/** sha256 of a local model file, remembered per size and mtime so a relaunch does not reread it. */
export async function localModel(file: string): Promise<LocalModel> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new OutpostError('NOT_FOUND', `the model file ${file} the plan was made from is gone`, 'put it back, or plan again with the file where it is now');
  }
  const key = `${stat.size}:${stat.mtimeMs}`;
  let cached = digests.get(file);
  if (cached?.key !== key) {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    cached = { key, sha256: hash.digest('hex') };
    digests.set(file, cached);
  }
  return { name: path.basename(file), path: file, sizeBytes: stat.size, sha256: cached.sha256 };
}
