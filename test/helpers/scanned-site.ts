import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';
import { runOutpost } from './cli.js';
import { commonFreePort } from './sshd.js';

/**
 * A simulated site of `profiles` on 127.0.0.<firstAddress>… that trusts `dataDir`'s site key, inventoried into
 * `dataDir` by `outpost discover` as a technician would; stopped when the test ends.
 */
export async function startScannedSite(t: TestContext, dataDir: string, profiles: string[], firstAddress: number): Promise<SimulatedSite> {
  const siteKey = fs.readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8');
  const port = await commonFreePort(
    profiles.map((_, i) => `127.0.0.${firstAddress + i}`),
    process.pid + firstAddress,
  );
  const site = await startSimulatedSite({ profiles, authorizedKey: siteKey, firstAddress, port });
  t.after(() => site.stop());
  const scan = await runOutpost(['--data-dir', dataDir, 'discover', site.hosts.map((h) => h.sshd.address).join(','), '--port', String(port), '--user', site.user]);
  assert.equal(scan.code, 0, scan.stderr);
  return site;
}
