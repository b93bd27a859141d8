export { DiscoveryService, type DiscoveryDeps } from './service.js';
export { NodeRepository, WORKSTATION_NODE } from './adapters/node-repository.js';
export { readLocalFacts } from './adapters/local-facts.js';
export { discoveryHandlers } from './handlers.js';
