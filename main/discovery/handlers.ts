import type { EventHub } from '../app/events.js';
import type { HandlersFor } from '../app/dispatcher.js';
import type { DiscoveryService } from './service.js';

export function discoveryHandlers(discovery: DiscoveryService, events: EventHub): HandlersFor<'discovery'> {
  return {
    'discovery.workstation': () => discovery.storedWorkstation(),
    'discovery.local': async () => {
      const inventory = await discovery.inventoryWorkstation();
      events.emit('discovery.localUpdated', inventory);
      return inventory;
    },
  };
}
