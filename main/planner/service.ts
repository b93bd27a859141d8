import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { PlanCallInputSchema } from '../../shared/contract/planner.js';
import type { ModelFile } from '../../shared/domain/discovery.js';
import type { NodeModelFile, PlanResult } from '../../shared/domain/planner.js';
import { OutpostError } from '../../shared/errors.js';
import type { PlanRepository, StoredPlanSummary } from './adapters/plan-repository.js';
import type { NodeGgufHeader } from './adapters/node-gguf.js';
import { modelNameFromPath } from './adapters/gguf-file.js';
import { profileFromGguf } from './core/gguf-profile.js';
import { devicesFromInventory, type InventoryNode } from './core/inventory-devices.js';
import type { ModelProfile } from './core/model-profile.js';
import { planShards, planShardsWithProfile } from './planning.js';
import type { CalibrationRepository } from './adapters/calibration-repository.js';
import { effectiveRecords, foldSamples, keyOf, type PlanCalibration } from './core/calibration.js';
import { CalibrationRecordSchema, calibrationName, factorProblem, type CalibrationRecord, type CalibrationSample, type CalibrationVerdict, type StoredCalibration } from '../../shared/domain/calibration.js';
import type { JournalRecord } from '../platform/store/index.js';

/** The engine whose load log and timings calibrate plans (the launch's default). */
const CALIBRATED_ENGINE = 'llama.cpp';

/** What became of one record of HQ's calibration at a site's import. */
export interface HqCalibrationOutcome {
  key: string;
  outcome: 'applied' | 'refused' | 'stored, site newer';
  reason: string;
}

export type PlanCallInput = z.output<typeof PlanCallInputSchema>;

export interface PlannerDeps {
  plans: PlanRepository;
  /** The site's nodes as discovery stored them. */
  inventory: () => InventoryNode[];
  /** The GGUF files discovery found on a node; null when there is no such node. */
  nodeModelFiles: (node: string) => ModelFile[] | null;
  /** Reads a node file's GGUF header over a pinned SSH session (bounded; never the weights). */
  readNodeGguf: (node: string, path: string, signal: AbortSignal | undefined) => Promise<NodeGgufHeader>;
  now: () => Date;
  calibration: CalibrationRepository;
  journal: { record(entry: JournalRecord): void };
}

export class PlannerService {
  constructor(private readonly deps: PlannerDeps) {}

  /** Plans, and stores a feasible plan under a new id; an infeasible one is returned, never stored. */
  async plan(input: PlanCallInput, signal?: AbortSignal): Promise<{ planId: string | null; plan: PlanResult }> {
    const fromInventory = input.inventoryNodes.length ? devicesFromInventory(input.inventoryNodes, this.deps.inventory()) : { devices: [], nodes: [] };
    const nodeModel = input.nodeModel ? await this.readNodeModel(input.nodeModel.node, input.nodeModel.path, signal) : null;
    const request = {
      model: nodeModel?.profile.name ?? input.model ?? '',
      quant: input.quant,
      context: input.context,
      parallel: input.parallel,
      objective: input.objective,
      utilisation: input.utilisation,
      devices: [...input.devices, ...fromInventory.devices],
      nodes: [...input.nodes, ...fromInventory.nodes],
    };
    const calibration: PlanCalibration | undefined = input.calibrate ? { engine: CALIBRATED_ENGINE, records: effectiveRecords(this.deps.calibration.all()) } : undefined;
    const plan = nodeModel ? withNodeFile(planShardsWithProfile(request, nodeModel.profile, calibration), nodeModel.file) : await planShards(request, calibration);
    if (!plan.feasible || !input.save) return { planId: null, plan };
    const planId = `plan-${randomBytes(5).toString('hex')}`;
    this.deps.plans.save(planId, this.deps.now().toISOString(), nodeModel ? { ...request, nodeModel: nodeModel.file } : request, plan);
    return { planId, plan };
  }

  /** Only files a scan reported are read: the picker's choices, not any path on the node. */
  private async readNodeModel(node: string, path: string, signal: AbortSignal | undefined): Promise<{ profile: ModelProfile; file: NodeModelFile }> {
    const files = this.deps.nodeModelFiles(node);
    if (files === null) throw new OutpostError('NOT_FOUND', `there is no node named "${node.slice(0, 80)}"`, 'see `outpost nodes` for the names');
    const known = files.find((f) => f.path === path && f.format === 'gguf');
    if (!known) {
      throw new OutpostError('NOT_FOUND', `${node} has no GGUF file ${JSON.stringify(path.slice(0, 300))} in its last scan`, `scan ${node} again if the file is new; \`outpost nodes --json\` lists its model files`);
    }
    const read = await this.deps.readNodeGguf(node, path, signal);
    return { profile: profileFromGguf(read.header, modelNameFromPath(path)), file: { node, path, sizeBytes: read.sizeBytes, headerDigest: read.headerDigest } };
  }

  get(id: string): { id: string; createdAt: string; plan: PlanResult } {
    const stored = this.deps.plans.get(id);
    if (!stored) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plan list` for stored plans');
    return stored;
  }

  /** The GGUF file a stored plan was made from: a path on this workstation (node null) or a node's file; null for a catalog model. */
  modelFileOf(id: string): { node: string | null; path: string } | null {
    const stored = this.deps.plans.modelOf(id);
    if (!stored) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plan list` for stored plans');
    if (stored.nodeModel) return { node: stored.nodeModel.node, path: stored.nodeModel.path };
    return stored.model !== undefined && /\.gguf$/i.test(stored.model) ? { node: null, path: resolve(stored.model) } : null;
  }

  list(limit: number): StoredPlanSummary[] {
    return this.deps.plans.list(limit);
  }

  calibrationRecords(): StoredCalibration[] {
    return this.deps.calibration.all();
  }

  /** This site's own measurements, as its bundle carries them to HQ. */
  siteCalibration(): CalibrationRecord[] {
    return this.deps.calibration.all().flatMap(({ origin, ...record }) => (origin === 'site' ? [record] : []));
  }

  /** A deployment's measurements: accepted ones move this site's records, each rejected one is journaled with its reason. */
  recordSamples(samples: readonly CalibrationSample[]): CalibrationVerdict {
    return this.deps.calibration.transaction(() => {
      const own = new Map(this.siteCalibration().map((r) => [keyOf(r), r]));
      const { records, verdict } = foldSamples(own, samples);
      const at = this.deps.now().toISOString();
      for (const [id, record] of records) if (own.get(id) !== record) this.deps.calibration.put('site', record, at);
      const deployment = samples[0]?.deploymentId ?? null;
      for (const rejected of verdict.rejected) {
        this.deps.journal.record({ actor: 'system', user: 'planner', action: 'planner.calibration-rejected', input: { deployment, key: calibrationName(rejected), what: rejected.what }, outcome: 'error', errorCode: 'INVALID_INPUT', detail: rejected.reason });
      }
      if (verdict.accepted.length) {
        const detail = verdict.accepted.map((a) => `${calibrationName(a)} ${a.what} ×${a.ratio.toFixed(3)}`).join('; ');
        this.deps.journal.record({ actor: 'system', user: 'planner', action: 'planner.calibration-sample', input: { deployment }, outcome: 'ok', detail });
      }
      return verdict;
    });
  }

  /**
   * HQ's merged calibration at a site's import. An absurd record is refused by name; the others are
   * stored as HQ's. A plan uses whichever of HQ's and the site's own rests on the newer measurement,
   * so where this site measured later its own stays in force, and the outcome says so.
   */
  applyHqCalibration(records: readonly CalibrationRecord[]): HqCalibrationOutcome[] {
    return this.deps.calibration.transaction(() => {
      const own = new Map(this.siteCalibration().map((r) => [keyOf(r), r]));
      const at = this.deps.now().toISOString();
      return records.map((candidate): HqCalibrationOutcome => {
        const parsed = CalibrationRecordSchema.safeParse(candidate);
        const problem = parsed.success ? factorProblem(parsed.data) : `${calibrationName(candidate)}: ${parsed.error.issues[0]?.message ?? 'not a calibration record'}`;
        if (!parsed.success || problem) return { key: calibrationName(candidate), outcome: 'refused', reason: problem ?? 'invalid' };
        this.deps.calibration.put('hq', parsed.data, at);
        const mine = own.get(keyOf(parsed.data));
        if (mine && mine.measuredAt >= parsed.data.measuredAt) {
          return { key: calibrationName(parsed.data), outcome: 'stored, site newer', reason: `this site's own measurement (${mine.measuredAt}) is newer than HQ's (${parsed.data.measuredAt}) and stays in force` };
        }
        return { key: calibrationName(parsed.data), outcome: 'applied', reason: mine ? `HQ's measurement (${parsed.data.measuredAt}) is newer than this site's own (${mine.measuredAt})` : 'this site had no measurement of its own' };
      });
    });
  }
}

function withNodeFile(plan: PlanResult, file: NodeModelFile): PlanResult {
  return { ...plan, model: { ...plan.model, nodeFile: file } };
}
