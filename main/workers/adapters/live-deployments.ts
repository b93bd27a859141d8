import type { Deployment } from '../../../shared/domain/workers.js';
import type { Db } from '../../platform/store/index.js';
import { DeploymentRepository } from './deployment-repository.js';

const FAILED_VISIBLE_MS = 86_400_000;

/**
 * Deployments running or starting, and those that failed within the last
 * day of `now` (a failure stays visible; months of stopped ones are not
 * re-read every second): what telemetry samples and the health report checks.
 */
export function liveDeployments(db: Db, now: Date): Deployment[] {
  const repository = new DeploymentRepository(db);
  const since = new Date(now.getTime() - FAILED_VISIBLE_MS).toISOString();
  const failed = db.prepare("SELECT id FROM deployments WHERE state = 'failed' AND coalesce(stopped_at, created_at) >= ? ORDER BY created_at DESC").pluck().all(since) as string[];
  return [...repository.list(false), ...failed.map((id) => repository.get(id)).filter((d): d is Deployment => d !== null)];
}
