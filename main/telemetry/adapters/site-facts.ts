import type { Deployment } from '../../../shared/domain/workers.js';
import type { Db } from '../../platform/store/index.js';
import { DeploymentRepository } from '../../workers/index.js';

/**
 * What the health report and the site's bundle read from the other
 * capabilities' tables: read-only, through plain queries or their repositories.
 */
export class SiteFacts {
  private readonly deploymentsRepo: DeploymentRepository;

  constructor(private readonly db: Db) {
    this.deploymentsRepo = new DeploymentRepository(db);
  }

  role(): 'site' | 'hq' | null {
    return ((this.db.prepare('SELECT role FROM site_identity').pluck().get() as 'site' | 'hq' | undefined) ?? null);
  }

  lastExchangeAt(): string | null {
    return (this.db.prepare('SELECT max(at) FROM bundle_exchanges').pluck().get() as string | null) ?? null;
  }

  newestModelImportedAt(): string | null {
    return (this.db.prepare("SELECT max(updated_at) FROM sync_records WHERE kind = 'model' AND origin = 'imported'").pluck().get() as string | null) ?? null;
  }

  activeKeys(): Array<{ kind: 'signing' | 'ssh'; createdAt: string }> {
    return this.db.prepare('SELECT kind, created_at AS createdAt FROM key_history WHERE retired_at IS NULL').all() as Array<{ kind: 'signing' | 'ssh'; createdAt: string }>;
  }

  remoteNodes(): Array<{ name: string; lastSeen: string; inventory: { gpus: unknown[]; jetson: unknown } }> {
    return (this.db.prepare("SELECT name, last_seen AS lastSeen, inventory_json AS json FROM nodes WHERE kind = 'remote' ORDER BY name").all() as Array<{ name: string; lastSeen: string; json: string }>).map((row) => {
      const inventory = JSON.parse(row.json) as { gpus?: unknown[]; jetson?: unknown };
      return { name: row.name, lastSeen: row.lastSeen, inventory: { gpus: inventory.gpus ?? [], jetson: inventory.jetson ?? null } };
    });
  }

  /**
   * Deployments running or starting, and those that failed within the last
   * day (a failure stays visible; months of stopped ones are not re-read every second).
   */
  liveDeployments(now: Date): Deployment[] {
    const since = new Date(now.getTime() - 86_400_000).toISOString();
    const failed = this.db.prepare("SELECT id FROM deployments WHERE state = 'failed' AND coalesce(stopped_at, created_at) >= ? ORDER BY created_at DESC").pluck().all(since) as string[];
    return [...this.deploymentsRepo.list(false), ...failed.map((id) => this.deploymentsRepo.get(id)).filter((d): d is Deployment => d !== null)];
  }
}
