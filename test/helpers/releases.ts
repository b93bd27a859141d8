// HQ beside a workers bench: it releases versions of the tiny model and the bench's site imports them, as a
// bundle carried on a drive would bring them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openCore } from '../../main/app/core.js';
import type { RecordChange } from '../../shared/domain/sync.js';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { Installation, pin } from './sync.js';
import type { WorkersBench } from './workers.js';

export interface ReleasingHq {
  hq: Installation;
  site: Installation;
  /** HQ releases `version` of `name` (the tiny model with weights from `seed`), exports it for the site; the site verifies, previews and applies it. Resolves to the preview's model change. */
  release(version: string, seed: number, name?: string): Promise<RecordChange>;
  close(): void;
}

export async function releasingHq(bench: WorkersBench, siteId = 'workers-test', hqId = 'hq-releases'): Promise<ReleasingHq> {
  const hqDir = fs.mkdtempSync(path.join(path.dirname(bench.dataDir), 'outpost-hq-'));
  const hq = new Installation(openCore({ dataDir: hqDir }), hqDir, hqId);
  await hq.call('identity.init', { siteId: hqId, role: 'hq' });
  const site = new Installation(bench.core, bench.dataDir, siteId);
  await pin(site, hq);
  await pin(hq, site);
  return {
    hq,
    site,
    release: async (version, seed, name = 'outpost-tiny') => {
      const file = path.join(hqDir, `${name}-${version}.gguf`);
      fs.writeFileSync(file, tinyGguf(seed));
      await hq.call('sync.releaseModel', { path: file, name, version });
      const bundle = await hq.call('sync.export', { to: path.join(hqDir, `bundle-${name}-${version}`), for: siteId });
      await site.call('sync.verify', { media: [bundle.path] });
      const preview = await site.call('sync.import', { media: [bundle.path], dryRun: true });
      const change = preview.changes.find((c) => c.kind === 'model' && c.key === name);
      assert.ok(change, JSON.stringify(preview.changes));
      assert.equal((await site.call('sync.import', { media: [bundle.path] })).state, 'applied');
      return change;
    },
    close: () => {
      hq.core.close();
      fs.rmSync(hqDir, { recursive: true, force: true });
    },
  };
}
