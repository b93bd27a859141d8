import { NodeChangeSchema, NodeInventorySchema, type HostKeyState, type NodeChange, type NodeInventory, type RemoteNode, type ScanCounts, type ScanHost } from '../../../shared/domain/discovery.js';
import { OutpostError } from '../../../shared/errors.js';
import type { Db } from '../../platform/store/index.js';
import { diffInventories, nodeNameFor } from '../core/inventory-diff.js';
import type { HostKeyIdentity, HostKeyPins, NodeDirectory, NodeEndpoint, SshLogin } from '../../platform/ssh/index.js';

interface NodeRow {
  id: number;
  name: string;
  address: string;
  port: number;
  first_seen: string;
  last_seen: string;
  inventory_json: string;
  login_user: string | null;
  login_key_path: string | null;
}

interface PinRow {
  address: string;
  port: number;
  key_type: string;
  fingerprint: string;
  pinned_at: string;
  offered_key_type: string | null;
  offered_fingerprint: string | null;
  offered_at: string | null;
}

export interface InventoryRecord {
  scanId: string;
  address: string;
  port: number;
  hostKey: HostKeyIdentity;
  /** The login that worked; kept so other capabilities can SSH back (keyPath null: the site key). */
  login: SshLogin;
  inventory: NodeInventory;
  at: string;
}

/**
 * The site's remote nodes, their host-key pins and scan history in SQLite.
 * Each host's outcome is written in one transaction, so a cancelled scan
 * leaves every host either fully recorded or not at all. It is the pin store
 * and node directory the platform's PinnedSsh checks every connection against.
 */
export class SiteRepository implements HostKeyPins, NodeDirectory {
  constructor(private readonly db: Db) {}

  pinFor(address: string, port: number): HostKeyIdentity | null {
    const row = this.db.prepare('SELECT key_type, fingerprint FROM host_keys WHERE address = ? AND port = ?').get(address, port) as PinRow | undefined;
    return row ? { keyType: row.key_type, fingerprint: row.fingerprint } : null;
  }

  /** Remembers the key a host offered instead of its pin, so it can be shown and explicitly accepted. */
  recordOfferedKey(address: string, port: number, offered: HostKeyIdentity, at: string): void {
    this.db.prepare('UPDATE host_keys SET offered_key_type = ?, offered_fingerprint = ?, offered_at = ? WHERE address = ? AND port = ?').run(offered.keyType, offered.fingerprint, at, address, port);
  }

  startScan(scanId: string, targets: string, at: string): void {
    this.db.prepare(`INSERT INTO scans (id, started_at, targets, outcome) VALUES (?, ?, ?, 'running')`).run(scanId, at, targets);
  }

  finishScan(scanId: string, outcome: 'completed' | 'cancelled', counts: ScanCounts, at: string): void {
    this.db.prepare('UPDATE scans SET outcome = ?, finished_at = ?, summary_json = ? WHERE id = ?').run(outcome, at, JSON.stringify(counts), scanId);
  }

  /** A host that answered but was not inventoried; a first-seen key is still pinned (trust on first use). */
  recordFailure(scanId: string, host: ScanHost, firstSeenKey: HostKeyIdentity | null, at: string): void {
    this.db.transaction(() => {
      if (firstSeenKey) this.pinIfNew(host.address, host.port, firstSeenKey, at);
      const node = this.db.prepare(`SELECT id FROM nodes WHERE kind = 'remote' AND address = ? AND port = ?`).get(host.address, host.port) as { id: number } | undefined;
      this.insertScanHost(scanId, host.address, host.port, node?.id ?? null, host.outcome, host.reason, null);
    })();
  }

  /** Pin (first use), node row, GPUs, engines, model files, history and the scan's line: all or nothing. */
  saveInventory(record: InventoryRecord): { name: string; changes: NodeChange[] } {
    return this.db.transaction(() => {
      this.pinIfNew(record.address, record.port, record.hostKey, record.at);
      const existing = this.db.prepare(`SELECT * FROM nodes WHERE kind = 'remote' AND address = ? AND port = ?`).get(record.address, record.port) as NodeRow | undefined;
      const before = existing ? NodeInventorySchema.parse(JSON.parse(existing.inventory_json)) : null;
      const changes = diffInventories(before, record.inventory);
      const name = existing && before?.hostname === record.inventory.hostname ? existing.name : this.freeName(record, existing?.id);
      const json = JSON.stringify(record.inventory);
      let nodeId: number;
      if (existing) {
        this.db.prepare('UPDATE nodes SET name = ?, last_seen = ?, inventory_json = ?, login_user = ?, login_key_path = ? WHERE id = ?').run(name, record.at, json, record.login.user, record.login.keyPath, existing.id);
        nodeId = existing.id;
      } else {
        const info = this.db
          .prepare(`INSERT INTO nodes (name, kind, address, port, first_seen, last_seen, inventory_json, login_user, login_key_path) VALUES (?, 'remote', ?, ?, ?, ?, ?, ?, ?)`)
          .run(name, record.address, record.port, record.at, record.at, json, record.login.user, record.login.keyPath);
        nodeId = Number(info.lastInsertRowid);
      }
      if (changes.length > 0) this.db.prepare('INSERT INTO inventory_history (node_id, at, inventory_json) VALUES (?, ?, ?)').run(nodeId, record.at, json);
      this.replaceParts(nodeId, record.inventory);
      this.insertScanHost(record.scanId, record.address, record.port, nodeId, 'inventoried', null, changes);
      return { name, changes };
    })();
  }

  nodes(): RemoteNode[] {
    const rows = this.db.prepare(`SELECT * FROM nodes WHERE kind = 'remote' ORDER BY name`).all() as NodeRow[];
    const lastDiff = this.db.prepare(`SELECT diff_json FROM scan_hosts sh JOIN scans s ON s.id = sh.scan_id WHERE sh.node_id = ? AND sh.outcome = 'inventoried' ORDER BY s.started_at DESC LIMIT 1`);
    return rows.map((row) => {
      const diff = lastDiff.get(row.id) as { diff_json: string | null } | undefined;
      return {
        name: row.name,
        address: row.address,
        port: row.port,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        hostKey: this.hostKeyState(row.address, row.port),
        login: row.login_user ? { user: row.login_user, keyPath: row.login_key_path } : null,
        inventory: NodeInventorySchema.parse(JSON.parse(row.inventory_json)),
        lastChanges: diff?.diff_json ? NodeChangeSchema.array().parse(JSON.parse(diff.diff_json)) : [],
      };
    });
  }

  /** A stored node by name, with its login and pin; null when there is no such node. */
  endpoint(node: string): NodeEndpoint | null {
    const row = this.db.prepare(`SELECT * FROM nodes WHERE kind = 'remote' AND name = ?`).get(node) as NodeRow | undefined;
    if (!row) return null;
    const pin = this.db.prepare('SELECT * FROM host_keys WHERE address = ? AND port = ?').get(row.address, row.port) as PinRow | undefined;
    return {
      name: row.name,
      address: row.address,
      port: row.port,
      login: row.login_user ? { user: row.login_user, keyPath: row.login_key_path } : null,
      pin: pin ? { keyType: pin.key_type, fingerprint: pin.fingerprint } : null,
      offered: pin?.offered_key_type && pin.offered_fingerprint ? { keyType: pin.offered_key_type, fingerprint: pin.offered_fingerprint } : null,
    };
  }

  /** Replaces a pin with the key its host offered; refuses when there is nothing to accept. */
  acceptOfferedKey(node: string, at: string): { node: string; address: string; port: number; keyType: string; fingerprint: string; previousFingerprint: string } {
    return this.db.transaction(() => {
      const endpoint = this.resolveEndpoint(node);
      const pin = this.db.prepare('SELECT * FROM host_keys WHERE address = ? AND port = ?').get(endpoint.address, endpoint.port) as PinRow | undefined;
      if (!pin?.offered_fingerprint || !pin.offered_key_type) {
        throw new OutpostError('CONFLICT', `${node} has not presented a different host key; its pin ${pin?.fingerprint ?? '(none)'} stands`, 'run `outpost discover` on it first; a changed key shows there as "host key changed"');
      }
      this.db
        .prepare('UPDATE host_keys SET key_type = ?, fingerprint = ?, pinned_at = ?, offered_key_type = NULL, offered_fingerprint = NULL, offered_at = NULL WHERE address = ? AND port = ?')
        .run(pin.offered_key_type, pin.offered_fingerprint, at, endpoint.address, endpoint.port);
      return { node: endpoint.name, address: endpoint.address, port: endpoint.port, keyType: pin.offered_key_type, fingerprint: pin.offered_fingerprint, previousFingerprint: pin.fingerprint };
    })();
  }

  /** A node by name, or an endpoint by `address` / `address:port` (a host refused on first contact has no name yet). */
  private resolveEndpoint(node: string): { name: string; address: string; port: number } {
    const byName = this.db.prepare(`SELECT name, address, port FROM nodes WHERE kind = 'remote' AND name = ?`).get(node) as NodeRow | undefined;
    if (byName) return byName;
    const [address = '', portText] = node.split(':');
    const pins = this.db.prepare('SELECT address, port FROM host_keys WHERE address = ?').all(address) as PinRow[];
    const matches = pins.filter((p) => portText === undefined || String(p.port) === portText);
    if (matches.length === 1 && matches[0]) return { name: node, address: matches[0].address, port: matches[0].port };
    if (matches.length > 1) throw new OutpostError('INVALID_INPUT', `${node} has host keys pinned on several ports`, `name one: ${matches.map((p) => `${p.address}:${p.port}`).join(', ')}`);
    throw new OutpostError('NOT_FOUND', `there is no node or pinned host named "${node.slice(0, 80)}"`, 'see `outpost nodes` for the names; a node appears after its first scan');
  }

  private hostKeyState(address: string, port: number): HostKeyState | null {
    const pin = this.db.prepare('SELECT * FROM host_keys WHERE address = ? AND port = ?').get(address, port) as PinRow | undefined;
    if (!pin) return null;
    return {
      keyType: pin.key_type,
      fingerprint: pin.fingerprint,
      pinnedAt: pin.pinned_at,
      offered: pin.offered_fingerprint && pin.offered_key_type && pin.offered_at ? { keyType: pin.offered_key_type, fingerprint: pin.offered_fingerprint, at: pin.offered_at } : null,
    };
  }

  private pinIfNew(address: string, port: number, key: HostKeyIdentity, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO host_keys (address, port, key_type, fingerprint, pinned_at) VALUES (?, ?, ?, ?, ?)').run(address, port, key.keyType, key.fingerprint, at);
  }

  private freeName(record: InventoryRecord, ownId: number | undefined): string {
    const taken = (name: string): boolean => {
      const row = this.db.prepare('SELECT id FROM nodes WHERE name = ?').get(name) as { id: number } | undefined;
      return row !== undefined && row.id !== ownId;
    };
    const base = nodeNameFor(record.inventory.hostname, record.address);
    const candidates = [base, `${base}-${record.address}`, `${base}-${record.address}-${record.port}`];
    return candidates.find((c) => !taken(c)) ?? `${base}-${record.address}-${record.port}-${ownId ?? 'new'}`;
  }

  private replaceParts(nodeId: number, inventory: NodeInventory): void {
    for (const table of ['node_gpus', 'node_engines', 'node_model_files']) this.db.prepare(`DELETE FROM ${table} WHERE node_id = ?`).run(nodeId);
    const gpu = this.db.prepare('INSERT INTO node_gpus (node_id, position, name, uuid, memory_total_mib, memory_used_mib, unified_memory, driver_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    inventory.gpus.forEach((g, position) => gpu.run(nodeId, position, g.name, g.uuid, g.memoryTotalMiB, g.memoryUsedMiB, g.unifiedMemory ? 1 : 0, g.driverVersion));
    const engine = this.db.prepare('INSERT OR IGNORE INTO node_engines (node_id, engine, version, path) VALUES (?, ?, ?, ?)');
    for (const e of inventory.engines) engine.run(nodeId, e.engine, e.version, e.path);
    const file = this.db.prepare('INSERT OR IGNORE INTO node_model_files (node_id, path, format, size_bytes, header_digest) VALUES (?, ?, ?, ?, ?)');
    for (const f of inventory.modelFiles) file.run(nodeId, f.path, f.format, f.sizeBytes, f.headerDigest);
  }

  private insertScanHost(scanId: string, address: string, port: number, nodeId: number | null, outcome: string, reason: string | null, changes: NodeChange[] | null): void {
    this.db.prepare('INSERT OR REPLACE INTO scan_hosts (scan_id, address, port, node_id, outcome, reason, diff_json) VALUES (?, ?, ?, ?, ?, ?, ?)').run(scanId, address, port, nodeId, outcome, reason, changes ? JSON.stringify(changes) : null);
  }
}
