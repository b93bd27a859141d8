import type { Deployment, DeploymentState, EngineKind, RpcTransport, Worker, WorkerState } from '../../../shared/domain/workers.js';
import type { Db } from '../../platform/store/index.js';
import type { DeploymentSpec, DeploymentStore, WorkerFields } from '../core/ports.js';

interface DeploymentRow {
  id: string;
  plan_id: string;
  model: string;
  engine: EngineKind;
  rpc_transport: RpcTransport;
  state: DeploymentState;
  api_url: string | null;
  endpoint: string | null;
  spec_json: string;
  detail: string | null;
  tokens_per_s: number | null;
  created_at: string;
  ready_at: string | null;
  stopped_at: string | null;
}

interface WorkerRow {
  name: string;
  state: WorkerState;
  pid: number | null;
  restarts: number;
  started_at: string | null;
  last_error: string | null;
}

export class DeploymentRepository implements DeploymentStore {
  constructor(private readonly db: Db) {}

  create(row: { id: string; planId: string; model: string; engine: EngineKind; rpcTransport: RpcTransport; spec: DeploymentSpec; at: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO deployments (id, plan_id, model, engine, rpc_transport, state, spec_json, created_at) VALUES (?, ?, ?, ?, ?, 'launching', ?, ?)`)
        .run(row.id, row.planId, row.model, row.engine, row.rpcTransport, JSON.stringify(row.spec), row.at);
      const insert = this.db.prepare(`INSERT INTO deployment_workers (deployment_id, name, state) VALUES (?, ?, 'starting')`);
      for (const worker of row.spec.workers) insert.run(row.id, worker.name);
    })();
  }

  exists(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM deployments WHERE id = ?').get(id) !== undefined;
  }

  spec(id: string): DeploymentSpec | null {
    const row = this.db.prepare('SELECT spec_json FROM deployments WHERE id = ?').get(id) as { spec_json: string } | undefined;
    return row ? (JSON.parse(row.spec_json) as DeploymentSpec) : null;
  }

  setSpec(id: string, spec: DeploymentSpec): void {
    this.db.prepare('UPDATE deployments SET spec_json = ? WHERE id = ?').run(JSON.stringify(spec), id);
  }

  setState(id: string, state: DeploymentState, detail: string | null, at: string): void {
    const extra = state === 'ready' ? ', ready_at = @at' : state === 'stopped' || state === 'failed' ? ', stopped_at = @at' : '';
    this.db.prepare(`UPDATE deployments SET state = @state, detail = @detail${extra} WHERE id = @id`).run({ id, state, detail, at });
  }

  /**
   * Moves to `to` only from one of `from`, in one statement: a Stop and a
   * supervisor's restart racing each other cannot both win.
   */
  transition(id: string, from: readonly DeploymentState[], to: DeploymentState, detail: string | null, at: string): boolean {
    const extra = to === 'ready' ? ', ready_at = @at' : to === 'stopped' || to === 'failed' ? ', stopped_at = @at' : '';
    const marks = from.map((_, i) => `@from${i}`).join(', ');
    const values: Record<string, unknown> = { id, to, detail, at };
    from.forEach((state, i) => (values[`from${i}`] = state));
    return this.db.prepare(`UPDATE deployments SET state = @to, detail = @detail${extra} WHERE id = @id AND state IN (${marks})`).run(values).changes === 1;
  }

  setServing(id: string, fields: { apiUrl?: string | null; endpoint?: string | null; tokensPerSecond?: number | null }): void {
    if (fields.apiUrl !== undefined) this.db.prepare('UPDATE deployments SET api_url = ? WHERE id = ?').run(fields.apiUrl, id);
    if (fields.endpoint !== undefined) this.db.prepare('UPDATE deployments SET endpoint = ? WHERE id = ?').run(fields.endpoint, id);
    if (fields.tokensPerSecond !== undefined) this.db.prepare('UPDATE deployments SET tokens_per_s = ? WHERE id = ?').run(fields.tokensPerSecond, id);
  }

  setWorker(id: string, name: string, fields: WorkerFields): void {
    const columns = { state: 'state', pid: 'pid', startedAt: 'started_at', lastError: 'last_error' } as const;
    const given = (Object.keys(columns) as Array<keyof typeof columns>).filter((field) => fields[field] !== undefined);
    const sets = given.map((field) => `${columns[field]} = @${field}`);
    const values: Record<string, unknown> = { id, name, ...Object.fromEntries(given.map((field) => [field, fields[field]])) };
    if (sets.length) this.db.prepare(`UPDATE deployment_workers SET ${sets.join(', ')} WHERE deployment_id = @id AND name = @name`).run(values);
  }

  recordRestart(id: string, worker: string, reason: string, backoffMs: number, at: string): number {
    return this.db.transaction(() => {
      this.db.prepare('INSERT INTO worker_restarts (deployment_id, worker, at, reason, backoff_ms) VALUES (?, ?, ?, ?, ?)').run(id, worker, at, reason, backoffMs);
      this.db.prepare('UPDATE deployment_workers SET restarts = restarts + 1 WHERE deployment_id = ? AND name = ?').run(id, worker);
      return (this.db.prepare('SELECT restarts FROM deployment_workers WHERE deployment_id = ? AND name = ?').get(id, worker) as { restarts: number }).restarts;
    })();
  }

  get(id: string): Deployment | null {
    const row = this.db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as DeploymentRow | undefined;
    return row ? this.toDeployment(row) : null;
  }

  /** Newest first; stopped and failed ones only when asked. */
  list(all: boolean): Deployment[] {
    const rows = this.db.prepare(`SELECT * FROM deployments ${all ? '' : `WHERE state NOT IN ('stopped', 'failed')`} ORDER BY created_at DESC, id DESC`).all() as DeploymentRow[];
    return rows.map((row) => this.toDeployment(row));
  }

  private toDeployment(row: DeploymentRow): Deployment {
    const spec = JSON.parse(row.spec_json) as DeploymentSpec;
    const rows = new Map((this.db.prepare('SELECT * FROM deployment_workers WHERE deployment_id = ?').all(row.id) as WorkerRow[]).map((w) => [w.name, w]));
    const workers: Worker[] = spec.workers.map((w) => {
      const r = rows.get(w.name);
      return {
        name: w.name,
        role: w.role,
        node: w.node,
        address: w.address,
        stageIndex: w.stageIndex,
        listen: w.listen,
        state: r?.state ?? 'stopped',
        pid: r?.pid ?? null,
        restarts: r?.restarts ?? 0,
        startedAt: r?.started_at ?? null,
        lastError: r?.last_error ?? null,
      };
    });
    return {
      id: row.id,
      planId: row.plan_id,
      model: row.model,
      engine: row.engine,
      rpcTransport: row.rpc_transport,
      state: row.state,
      apiUrl: row.api_url,
      endpoint: row.endpoint,
      detail: row.detail,
      tokensPerSecond: row.tokens_per_s,
      createdAt: row.created_at,
      readyAt: row.ready_at,
      stoppedAt: row.stopped_at,
      stages: spec.stages,
      workers,
      replan: spec.replan ?? null,
    };
  }
}
