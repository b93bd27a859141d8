import Database from 'better-sqlite3';
import { OutpostError } from '../../../shared/errors.js';
import type { Db } from '../../platform/store/index.js';
import type { RouterConfig } from '../core/routing-table.js';
import { readConfigVersion, readRouterConfig } from './repository.js';

/** The schema version that brought the router's tables. */
const ROUTER_SCHEMA_VERSION = 6;

/**
 * The router process's only view of the store: a read-only SQLite connection.
 * It polls one version row (bumped by triggers on every router table change)
 * and reads the whole configuration only when that row moved.
 */
export class StoreConfigSource {
  private readonly db: Db;

  constructor(databaseFile: string) {
    try {
      this.db = new Database(databaseFile, { readonly: true, fileMustExist: true, timeout: 5_000 });
    } catch (error) {
      throw new OutpostError('PRECONDITION', `there is no Outpost database at ${databaseFile}`, 'add an endpoint first (`outpost router endpoints add …`), or pass the right --data-dir', { cause: error });
    }
    const schema = this.db.pragma('user_version', { simple: true }) as number;
    if (schema < ROUTER_SCHEMA_VERSION) {
      this.db.close();
      throw new OutpostError('PRECONDITION', `the database ${databaseFile} has no router tables yet (schema ${schema})`, 'run `outpost status` once to bring the data dir up to date, then start the router');
    }
  }

  version(): number {
    return readConfigVersion(this.db);
  }

  read(): RouterConfig {
    return readRouterConfig(this.db);
  }

  close(): void {
    this.db.close();
  }
}
