import { NodeInventorySchema, type Jetson, type NodeGpu } from '../../../shared/domain/discovery.js';
import type { Db } from '../../platform/store/index.js';

export type ReportedNode = {
  name: string;
  kind: string;
  address: string | null;
  port: number | null;
  lastSeen: string;
  /** As the scan stored it: a remote node's NodeInventory, the workstation's WorkstationInventory. */
  inventory: unknown;
};

export interface RemoteNodeAccelerators {
  name: string;
  lastSeen: string;
  gpus: NodeGpu[];
  jetson: Jetson | null;
}

const AcceleratorsSchema = NodeInventorySchema.pick({ gpus: true, jetson: true }).partial();

/** Read-only views of the `nodes` table for the other capabilities (a site's report to HQ, telemetry and health). */
export class InventoryReads {
  constructor(private readonly db: Db) {}

  /** Every node as last scanned, the workstation included. */
  reportedNodes(): ReportedNode[] {
    const rows = this.db.prepare('SELECT name, kind, address, port, last_seen, inventory_json FROM nodes ORDER BY name').all() as Array<{
      name: string;
      kind: string;
      address: string | null;
      port: number | null;
      last_seen: string;
      inventory_json: string;
    }>;
    return rows.map((row) => ({ name: row.name, kind: row.kind, address: row.address, port: row.port, lastSeen: row.last_seen, inventory: JSON.parse(row.inventory_json) as unknown }));
  }

  /** Remote nodes with their GPUs and Jetson board, as last scanned; an inventory that no longer parses counts as none. */
  remoteAccelerators(): RemoteNodeAccelerators[] {
    const rows = this.db.prepare("SELECT name, last_seen AS lastSeen, inventory_json AS json FROM nodes WHERE kind = 'remote' ORDER BY name").all() as Array<{ name: string; lastSeen: string; json: string }>;
    return rows.map((row) => {
      const parsed = AcceleratorsSchema.safeParse(JSON.parse(row.json));
      const inventory = parsed.success ? parsed.data : {};
      return { name: row.name, lastSeen: row.lastSeen, gpus: inventory.gpus ?? [], jetson: inventory.jetson ?? null };
    });
  }
}
