import { z } from 'zod';
import { NodeModelFileSchema, PlanResultSchema, ShardPlanSchema, type NodeModelFile, type PlanResult, type ShardPlan } from '../../../shared/domain/planner.js';
import type { Db } from '../../platform/store/index.js';

export interface StoredPlanSummary {
  id: string;
  createdAt: string;
  model: string;
  quant: string;
  objective: 'throughput' | 'latency';
  stages: number;
  aggregateTokensPerSecond: number;
}

/** The part of a stored request that names the model: a catalog name or local path, or a node's file. */
const StoredModelSchema = z.object({ model: z.string().optional(), nodeModel: NodeModelFileSchema.optional() });

interface PlanRow {
  id: string;
  created_at: string;
  result_json: string;
}

export class PlanRepository {
  constructor(private readonly db: Db) {}

  save(id: string, createdAt: string, request: unknown, plan: ShardPlan): void {
    this.db.prepare('INSERT INTO plans (id, created_at, model, quant, objective, request_json, result_json) VALUES (?, ?, ?, ?, ?, ?, ?)').run(id, createdAt, plan.model.name, plan.model.quant, plan.objective, JSON.stringify(request), JSON.stringify(plan));
  }

  get(id: string): { id: string; createdAt: string; plan: PlanResult } | null {
    const row = this.db.prepare('SELECT id, created_at, result_json FROM plans WHERE id = ?').get(id) as PlanRow | undefined;
    return row ? { id: row.id, createdAt: row.created_at, plan: PlanResultSchema.parse(JSON.parse(row.result_json)) } : null;
  }

  /** What the stored plan was made from, as its request named it; null when there is no such plan. */
  modelOf(id: string): { model?: string | undefined; nodeModel?: NodeModelFile | undefined } | null {
    const row = this.db.prepare('SELECT request_json FROM plans WHERE id = ?').get(id) as { request_json: string } | undefined;
    return row ? StoredModelSchema.parse(JSON.parse(row.request_json)) : null;
  }

  /** The request a stored plan was made from, as it was stored; null when there is no such plan. */
  requestOf(id: string): unknown {
    const row = this.db.prepare('SELECT request_json FROM plans WHERE id = ?').get(id) as { request_json: string } | undefined;
    return row ? (JSON.parse(row.request_json) as unknown) : null;
  }

  /** False when there was no such plan. */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM plans WHERE id = ?').run(id).changes > 0;
  }

  /** The .gguf paths on this workstation that stored plans were made from (the library lists them). */
  localModelPaths(): string[] {
    const models = this.db.prepare("SELECT DISTINCT json_extract(request_json, '$.model') FROM plans").pluck().all() as Array<string | null>;
    return models.filter((m): m is string => typeof m === 'string' && /\.gguf$/i.test(m));
  }

  list(limit: number): StoredPlanSummary[] {
    const rows = this.db.prepare('SELECT id, created_at, result_json FROM plans ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as PlanRow[];
    return rows.map((row) => {
      const plan = ShardPlanSchema.parse(JSON.parse(row.result_json));
      return {
        id: row.id,
        createdAt: row.created_at,
        model: plan.model.name,
        quant: plan.model.quant,
        objective: plan.objective,
        stages: plan.stages.length,
        aggregateTokensPerSecond: plan.estimates.aggregateTokensPerSecond,
      };
    });
  }
}
