import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import type { Db } from '../../platform/store/index.js';
import type { LocalModel } from '../service.js';

/**
 * The .gguf file a stored plan was made from. The planner keeps its request
 * beside the plan; only the model path is read here.
 */
export function planModelFile(db: Db, planId: string): string | null {
  const row = db.prepare('SELECT request_json FROM plans WHERE id = ?').get(planId) as { request_json: string } | undefined;
  const request = row ? (JSON.parse(row.request_json) as { model?: unknown; nodeModel?: { node: string; path: string } }) : undefined;
  if (request?.nodeModel) {
    // Only the workstation's files can be copied to the head today; a node-to-node copy needs a relay not built yet.
    throw new OutpostError(
      'PRECONDITION',
      `plan ${planId} was made from ${request.nodeModel.node}:${request.nodeModel.path}, a file on a node; launch loads model files from this workstation only`,
      `copy the file to this workstation and plan with --model <file.gguf>`,
    );
  }
  const model = request?.model;
  return typeof model === 'string' && /\.gguf$/i.test(model) ? path.resolve(model) : null;
}

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
