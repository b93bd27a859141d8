import { StoredCalibrationSchema, type CalibrationRecord, type StoredCalibration } from '../../../shared/domain/calibration.js';
import type { Db } from '../../platform/store/index.js';

interface CalibrationRow {
  origin: 'site' | 'hq';
  record_json: string;
}

/** The planner's calibration table: the site's own records and HQ's, one per key and origin. */
export class CalibrationRepository {
  constructor(private readonly db: Db) {}

  all(): StoredCalibration[] {
    const rows = this.db.prepare('SELECT origin, record_json FROM planner_calibration ORDER BY gpu, engine, quant, origin').all() as CalibrationRow[];
    return rows.flatMap((row) => {
      const parsed = StoredCalibrationSchema.safeParse({ ...(JSON.parse(row.record_json) as object), origin: row.origin });
      return parsed.success ? [parsed.data] : [];
    });
  }

  put(origin: 'site' | 'hq', record: CalibrationRecord, at: string): void {
    this.db
      .prepare(
        `INSERT INTO planner_calibration (gpu, engine, quant, origin, record_json, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (gpu, engine, quant, origin) DO UPDATE SET record_json = excluded.record_json, updated_at = excluded.updated_at`,
      )
      .run(record.gpu, record.engine, record.quant, origin, JSON.stringify(record), at);
  }

  transaction<T>(body: () => T): T {
    return this.db.transaction(body)();
  }
}
