import type { ApiKeyInfo, Endpoint, RouterPolicy } from '../../../shared/domain/router.js';
import { ApiKeyInfoSchema, DEFAULT_POLICY, EndpointSchema, RouterPolicySchema } from '../../../shared/domain/router.js';
import type { Db } from '../../platform/store/index.js';
import type { RouterConfig } from '../core/routing-table.js';

interface EndpointRow {
  name: string;
  url: string;
  tier: Endpoint['tier'];
  models_json: string;
  slots: number;
  created_at: string;
}

interface KeyRow {
  id: string;
  app: string;
  key_hash: string;
  models_json: string | null;
  created_at: string;
  revoked_at: string | null;
}

const toEndpoint = (row: EndpointRow): Endpoint => ({
  name: row.name,
  url: row.url,
  tier: row.tier,
  models: EndpointSchema.shape.models.parse(JSON.parse(row.models_json)),
  slots: row.slots,
  createdAt: row.created_at,
});

/** The models a key may use; null (the column's NULL): every model. */
const keyModels = (json: string | null): string[] | null => ApiKeyInfoSchema.shape.models.parse(json === null ? null : JSON.parse(json));

const toKeyInfo = (row: KeyRow): ApiKeyInfo => ({
  id: row.id,
  app: row.app,
  models: keyModels(row.models_json),
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** A stored policy is merged over the defaults, so a field added later has a value in old stores. */
function toPolicy(json: string | undefined): RouterPolicy {
  if (json === undefined) return { ...DEFAULT_POLICY };
  const parsed = RouterPolicySchema.partial().safeParse(JSON.parse(json));
  return { ...DEFAULT_POLICY, ...(parsed.success ? parsed.data : {}) };
}

/** Reads the whole routing configuration at one version, in one read transaction. Used by both processes. */
export function readRouterConfig(db: Db): RouterConfig {
  return db.transaction(() => {
    const version = (db.prepare('SELECT version FROM router_config_version').get() as { version: number }).version;
    const endpoints = (db.prepare('SELECT * FROM router_endpoints ORDER BY tier, name').all() as EndpointRow[]).map(toEndpoint);
    const keys = (db.prepare('SELECT * FROM router_api_keys WHERE revoked_at IS NULL').all() as KeyRow[]).map((row) => ({
      id: row.id,
      app: row.app,
      hash: row.key_hash,
      models: keyModels(row.models_json),
    }));
    const policyRow = db.prepare('SELECT policy_json FROM router_policy').get() as { policy_json: string } | undefined;
    return { version, endpoints, keys, policy: toPolicy(policyRow?.policy_json) };
  })();
}

export function readConfigVersion(db: Db): number {
  return (db.prepare('SELECT version FROM router_config_version').get() as { version: number }).version;
}

/** The core's read-write access to the router's tables. */
export class RouterRepository {
  constructor(private readonly db: Db) {}

  endpoints(): Endpoint[] {
    return (this.db.prepare('SELECT * FROM router_endpoints ORDER BY tier, name').all() as EndpointRow[]).map(toEndpoint);
  }

  endpoint(name: string): Endpoint | undefined {
    const row = this.db.prepare('SELECT * FROM router_endpoints WHERE name = ?').get(name) as EndpointRow | undefined;
    return row ? toEndpoint(row) : undefined;
  }

  saveEndpoint(endpoint: Endpoint): void {
    this.db
      .prepare(
        `INSERT INTO router_endpoints (name, url, tier, models_json, slots, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET url = excluded.url, tier = excluded.tier, models_json = excluded.models_json, slots = excluded.slots`,
      )
      .run(endpoint.name, endpoint.url, endpoint.tier, JSON.stringify(endpoint.models), endpoint.slots, endpoint.createdAt);
  }

  removeEndpoint(name: string): boolean {
    return this.db.prepare('DELETE FROM router_endpoints WHERE name = ?').run(name).changes > 0;
  }

  keys(): ApiKeyInfo[] {
    return (this.db.prepare('SELECT * FROM router_api_keys ORDER BY created_at, id').all() as KeyRow[]).map(toKeyInfo);
  }

  key(id: string): ApiKeyInfo | undefined {
    const row = this.db.prepare('SELECT * FROM router_api_keys WHERE id = ?').get(id) as KeyRow | undefined;
    return row ? toKeyInfo(row) : undefined;
  }

  addKey(info: ApiKeyInfo, hash: string): void {
    this.db.prepare('INSERT INTO router_api_keys (id, app, key_hash, models_json, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)').run(info.id, info.app, hash, info.models === null ? null : JSON.stringify(info.models), info.createdAt);
  }

  revokeKey(id: string, at: string): void {
    this.db.prepare('UPDATE router_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
  }

  policy(): RouterPolicy {
    const row = this.db.prepare('SELECT policy_json FROM router_policy').get() as { policy_json: string } | undefined;
    return toPolicy(row?.policy_json);
  }

  savePolicy(policy: RouterPolicy): void {
    this.db.prepare('INSERT INTO router_policy (singleton, policy_json) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET policy_json = excluded.policy_json').run(JSON.stringify(policy));
  }

  configVersion(): number {
    return readConfigVersion(this.db);
  }

  retriesOffset(): number {
    return (this.db.prepare('SELECT retries_offset FROM router_ingest').get() as { retries_offset: number }).retries_offset;
  }

  /** Runs `work` and moves the ingest offset in one transaction, so a retry is journaled exactly once. */
  ingestRetries(offset: number, work: () => void): void {
    this.db.transaction(() => {
      work();
      this.db.prepare('UPDATE router_ingest SET retries_offset = ?').run(offset);
    })();
  }
}
