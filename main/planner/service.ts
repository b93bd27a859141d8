import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { PlanCallInputSchema } from '../../shared/contract/planner.js';
import type { PlanResult } from '../../shared/domain/planner.js';
import { OutpostError } from '../../shared/errors.js';
import type { PlanRepository, StoredPlanSummary } from './adapters/plan-repository.js';
import { devicesFromInventory, type InventoryNode } from './core/inventory-devices.js';
import { planShards } from './index.js';

export type PlanCallInput = z.output<typeof PlanCallInputSchema>;

export interface PlannerDeps {
  plans: PlanRepository;
  /** The site's nodes as discovery stored them. */
  inventory: () => InventoryNode[];
  now: () => Date;
}

export class PlannerService {
  constructor(private readonly deps: PlannerDeps) {}

  /** Plans, and stores a feasible plan under a new id; an infeasible one is returned, never stored. */
  async plan(input: PlanCallInput): Promise<{ planId: string | null; plan: PlanResult }> {
    const fromInventory = input.inventoryNodes.length ? devicesFromInventory(input.inventoryNodes, this.deps.inventory()) : { devices: [], nodes: [] };
    const request = {
      model: input.model,
      quant: input.quant,
      context: input.context,
      parallel: input.parallel,
      objective: input.objective,
      utilisation: input.utilisation,
      devices: [...input.devices, ...fromInventory.devices],
      nodes: [...input.nodes, ...fromInventory.nodes],
    };
    const plan = await planShards(request);
    if (!plan.feasible || !input.save) return { planId: null, plan };
    const planId = `plan-${randomBytes(5).toString('hex')}`;
    this.deps.plans.save(planId, this.deps.now().toISOString(), request, plan);
    return { planId, plan };
  }

  get(id: string): { id: string; createdAt: string; plan: PlanResult } {
    const stored = this.deps.plans.get(id);
    if (!stored) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plan list` for stored plans');
    return stored;
  }

  list(limit: number): StoredPlanSummary[] {
    return this.deps.plans.list(limit);
  }
}
