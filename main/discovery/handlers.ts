import type { EventHub } from '../platform/events.js';
import type { HandlersFor } from '../platform/dispatcher.js';
import type { JobRegistry } from '../platform/jobs.js';
import type { SiteRepository } from './adapters/site-repository.js';
import type { DiscoveryService } from './service.js';
import { cancelScan, type SiteScan } from './site-scan.js';

export interface DiscoveryParts {
  workstation: DiscoveryService;
  scan: SiteScan;
  site: SiteRepository;
  jobs: JobRegistry;
  now: () => Date;
}

export function discoveryHandlers(parts: DiscoveryParts, events: EventHub): HandlersFor<'discovery'> {
  return {
    'discovery.workstation': () => parts.workstation.storedWorkstation(),
    'discovery.local': async () => {
      const inventory = await parts.workstation.inventoryWorkstation();
      events.emit('discovery.localUpdated', inventory);
      return inventory;
    },
    'discovery.scan': async (input, context) => {
      const result = await parts.scan.run(input, context.signal);
      events.emit('discovery.scanFinished', result);
      return result;
    },
    'discovery.cancelScan': ({ scanId }) => cancelScan(parts.jobs, scanId),
    'discovery.nodes': () => parts.site.nodes(),
    'discovery.acceptHostKey': async ({ node }, context) => {
      const { accepted, probed, scan } = await parts.scan.acceptHostKey(node, context.signal);
      if (scan) events.emit('discovery.scanFinished', scan);
      return { ...accepted, reprobe: probed };
    },
  };
}
