import { NodeInventorySchema } from '../../../shared/domain/discovery.js';
import { WorkstationInventorySchema, type WorkstationInventory } from '../../../shared/domain/workstation.js';
import type { Db } from '../../platform/store/index.js';
import { hardwareSignature } from '../core/workstation.js';

/** Name of the workstation's own row among the site's nodes. */
export const WORKSTATION_NODE = 'workstation';

export class NodeRepository {
  constructor(private readonly db: Db) {}

  /** Upserts the workstation row and, when the hardware changed, appends to its history; one transaction. */
  saveWorkstation(inventory: WorkstationInventory): void {
    const json = JSON.stringify(inventory);
    this.db.transaction(() => {
      const previous = this.workstation();
      this.db
        .prepare(
          `INSERT INTO nodes (name, kind, first_seen, last_seen, inventory_json) VALUES (?, 'workstation', ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen, inventory_json = excluded.inventory_json`,
        )
        .run(WORKSTATION_NODE, inventory.collectedAt, inventory.collectedAt, json);
      const { id } = this.db.prepare('SELECT id FROM nodes WHERE name = ?').get(WORKSTATION_NODE) as { id: number };
      if (!previous || hardwareSignature(previous) !== hardwareSignature(inventory)) {
        this.db.prepare('INSERT INTO inventory_history (node_id, at, inventory_json) VALUES (?, ?, ?)').run(id, inventory.collectedAt, json);
      }
    })();
  }

  workstation(): WorkstationInventory | null {
    const row = this.db.prepare('SELECT inventory_json FROM nodes WHERE name = ?').get(WORKSTATION_NODE) as { inventory_json: string } | undefined;
    return row ? WorkstationInventorySchema.parse(JSON.parse(row.inventory_json)) : null;
  }

  /** Each node's memory and GPUs as reported, for the planner's `--nodes`. */
  hardware(): Array<{ name: string; memoryBytes: number; gpus: Array<{ name: string; memoryMiB: number | null; migProfiles?: string[] }> }> {
    const workstation = this.workstation();
    const remote = this.db.prepare(`SELECT name, inventory_json FROM nodes WHERE kind = 'remote' ORDER BY name`).all() as Array<{ name: string; inventory_json: string }>;
    return [
      ...(workstation ? [{ name: WORKSTATION_NODE, memoryBytes: workstation.memory.totalBytes, gpus: workstation.gpus.map((g) => ({ name: g.model, memoryMiB: g.vramMiB })) }] : []),
      ...remote.map((row) => {
        const inventory = NodeInventorySchema.parse(JSON.parse(row.inventory_json));
        return { name: row.name, memoryBytes: inventory.memory.totalBytes ?? 0, gpus: inventory.gpus.map((g) => ({ name: g.name, memoryMiB: g.memoryTotalMiB, migProfiles: g.migDevices.map((m) => m.profile) })) };
      }),
    ];
  }
}
