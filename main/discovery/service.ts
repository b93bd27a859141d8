import type { WorkstationInventory } from '../../shared/domain/workstation.js';
import type { NodeRepository } from './adapters/node-repository.js';
import { toWorkstationInventory, type LocalFacts } from './core/workstation.js';

export interface DiscoveryDeps {
  nodes: NodeRepository;
  readLocalFacts: () => Promise<{ facts: LocalFacts; warnings: string[] }>;
  now: () => Date;
}

export class DiscoveryService {
  constructor(private readonly deps: DiscoveryDeps) {}

  async inventoryWorkstation(): Promise<WorkstationInventory> {
    const { facts, warnings } = await this.deps.readLocalFacts();
    const inventory = toWorkstationInventory(facts, warnings, this.deps.now());
    this.deps.nodes.saveWorkstation(inventory);
    return inventory;
  }

  storedWorkstation(): WorkstationInventory | null {
    return this.deps.nodes.workstation();
  }
}
