import { randomUUID } from 'node:crypto';
import { openCore } from '../../app/core.js';
import { LATEST_SCHEMA_VERSION } from '../../platform/store/index.js';
import { appVersion } from '../../platform/version.js';
import { inProcessConnection, type SiteConnection } from './site-connection.js';

/**
 * PLACEHOLDER (branch wt-electron), replaced at merge by wt-attach's attach.ts, which finds or starts the
 * data dir's site service. Until then the window runs the site in its own process, as before.
 */
export async function attachToSite(dataDir: string, options: { start: boolean; port?: number }): Promise<SiteConnection> {
  const core = openCore({ dataDir });
  if (options.start) core.supervise();
  return inProcessConnection(core, { instance: randomUUID(), appVersion: appVersion(), schemaVersion: LATEST_SCHEMA_VERSION });
}
