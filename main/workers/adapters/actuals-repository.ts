import { DeploymentActualsSchema, type DeploymentActuals } from '../../../shared/domain/calibration.js';
import type { Db } from '../../platform/store/index.js';
import type { ActualsStore } from '../core/ports.js';

/** Plan vs actual per deployment: what its launch measured (workers' table, deployment_actuals). */
export class ActualsRepository implements ActualsStore {
  constructor(private readonly db: Db) {}

  put(id: string, actuals: DeploymentActuals): void {
    this.db
      .prepare('INSERT INTO deployment_actuals (deployment_id, measured_at, actuals_json) VALUES (?, ?, ?) ON CONFLICT (deployment_id) DO UPDATE SET measured_at = excluded.measured_at, actuals_json = excluded.actuals_json')
      .run(id, actuals.measuredAt, JSON.stringify(actuals));
  }

  get(id: string): DeploymentActuals | null {
    const row = this.db.prepare('SELECT actuals_json FROM deployment_actuals WHERE deployment_id = ?').get(id) as { actuals_json: string } | undefined;
    if (!row) return null;
    const parsed = DeploymentActualsSchema.safeParse(JSON.parse(row.actuals_json));
    return parsed.success ? parsed.data : null;
  }
}
