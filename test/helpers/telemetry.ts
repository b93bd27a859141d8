import type { SiteFacts } from '../../main/telemetry/index.js';

/** The rest of the site as telemetry sees it: these remote nodes (GPU count each), no identity, no exchanges, no deployments. */
export function siteFactsWith(nodes: Array<{ name: string; gpus: number }> = [], lastSeen = new Date().toISOString()): SiteFacts {
  return {
    role: () => null,
    lastExchangeAt: () => null,
    newestModelImportedAt: () => null,
    acknowledgedSequences: () => [],
    activeKeys: () => [],
    remoteNodes: () => nodes.map((n) => ({ name: n.name, lastSeen, gpus: n.gpus, jetson: false })),
    hostKeyChanges: () => [],
    routerRunning: () => false,
    liveDeployments: () => [],
  };
}
