import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { PlanCallInputSchema } from '../../shared/contract/planner.js';
import type { ModelFile } from '../../shared/domain/discovery.js';
import { NodeModelFileSchema, PlanRequestSchema, type NodeModelFile, type PlanRequestInput, type PlanResult } from '../../shared/domain/planner.js';
import { OutpostError } from '../../shared/errors.js';
import type { PlanRepository, StoredPlanSummary } from './adapters/plan-repository.js';
import type { NodeGgufHeader } from './adapters/node-gguf.js';
import { modelNameFromPath } from './adapters/gguf-file.js';
import { profileFromGguf } from './core/gguf-profile.js';
import { devicesFromInventory, type InventoryNode } from './core/inventory-devices.js';
import type { ModelProfile } from './core/model-profile.js';
import { planShards, planShardsWithProfile, readGgufFile } from './planning.js';
import { ModelLibrary } from './library.js';
import { releaseRefOf, releaseRefText, resolveRelease, unknownModelError } from './core/model-library.js';
import { MODEL_CATALOG } from './core/catalog-models.js';
import type { LibraryModel, ModelReleaseEntry } from '../../shared/domain/models.js';
import { smallerQuantSiblings } from './core/quant-siblings.js';
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
  /** The live deployments that need a stored plan (workers owns deployments); a plan in use is not deleted. */
  deploymentsUsing: (planId: string) => string[];
  calibration: CalibrationRepository;
  journal: { record(entry: JournalRecord): void };
  /** Every HQ model release that arrived (sync's service); none where sync is not wired. */
  releases?: () => ModelReleaseEntry[];
  /** Folders of this workstation whose .gguf files the library lists (the data dir's models folder). */
  modelDirs?: () => string[];
}

export class PlannerService {
  private readonly library: ModelLibrary;

  constructor(private readonly deps: PlannerDeps) {
    this.library = new ModelLibrary({
      releases: () => this.releases(),
      modelDirs: () => deps.modelDirs?.() ?? [],
      plannedPaths: () => deps.plans.localModelPaths(),
      nodeNames: () => deps.inventory().map((n) => n.name),
      nodeModelFiles: deps.nodeModelFiles,
      readNodeGguf: deps.readNodeGguf,
    });
  }

  private releases(): ModelReleaseEntry[] {
    return this.deps.releases?.() ?? [];
  }

  /** Every model the site can run: HQ's releases by version, GGUF files here and on the nodes. */
  models(signal?: AbortSignal): Promise<LibraryModel[]> {
    return this.library.list(signal);
  }

  /** Plans, and stores a feasible plan under a new id; an infeasible one is returned, never stored. */
  async plan(input: PlanCallInput, signal?: AbortSignal): Promise<{ planId: string | null; plan: PlanResult }> {
    const fromInventory = input.inventoryNodes.length ? devicesFromInventory(input.inventoryNodes, this.deps.inventory()) : { devices: [], nodes: [] };
    const nodeModel = input.nodeModel ? await this.readNodeModel(input.nodeModel.node, input.nodeModel.path, signal) : null;
    const release = input.model === undefined ? null : resolveRelease(input.model, this.releases());
    const request = {
      // A release is stored by name and version, so a re-plan loads the same one.
      model: nodeModel?.profile.name ?? (release ? releaseRefText(release) : undefined) ?? input.model ?? '',
      quant: input.quant,
      context: input.context,
      parallel: input.parallel,
      objective: input.objective,
      utilisation: input.utilisation,
      devices: [...input.devices, ...fromInventory.devices],
      nodes: [...input.nodes, ...fromInventory.nodes],
    };
    const calibration: PlanCalibration | undefined = input.calibrate ? { engine: CALIBRATED_ENGINE, records: effectiveRecords(this.deps.calibration.all()) } : undefined;
    const plan = nodeModel
      ? withNodeFile(planShardsWithProfile(request, nodeModel.profile, calibration), nodeModel.file)
      : release
        ? await this.planRelease(request, release, calibration)
        : await planShards(request, calibration).catch((error: unknown) => {
            throw isUnknownModel(error) ? unknownModelError(request.model, { releases: this.releases(), catalog: MODEL_CATALOG.map((m) => m.name) }) : error;
          });
    if (!plan.feasible || !input.save) return { planId: null, plan };
    const planId = `plan-${randomBytes(5).toString('hex')}`;
    this.deps.plans.save(planId, this.deps.now().toISOString(), nodeModel ? { ...request, nodeModel: nodeModel.file } : request, plan);
    return { planId, plan };
  }

  /** A release's file has no extension (models/<sha256>): the record names it, its header is checked like any GGUF file's. */
  private async planRelease(request: PlanRequestInput, release: ModelReleaseEntry & { path: string | null }, calibration: PlanCalibration | undefined): Promise<PlanResult> {
    const profile = { ...(await readGgufFile(release.path as string)), name: release.name };
    const plan = planShardsWithProfile(request, profile, calibration);
    return { ...plan, model: { ...plan.model, release: releaseRefOf(release) } };
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

  /**
   * A stored plan's request planned again on its hardware less `lostNodes` (a deployment that lost hosts): the
   * same model file, quantisation, context, parallel and objective. When that does not fit and `smallerQuant`
   * allows it, the same model in a smaller quantisation that a surviving host holds (largest first; the launch
   * loads it in place, so it counts only where that host takes the head). Feasible: stored under a new id;
   * `note` says what was fallen back to, or why nothing was.
   */
  async planWithout(id: string, lostNodes: readonly string[], options: { smallerQuant: boolean; signal?: AbortSignal | undefined }): Promise<{ planId: string | null; plan: PlanResult; note: string | null }> {
    const stored = StoredRequestSchema.safeParse(this.deps.plans.requestOf(id));
    if (!stored.success) throw new OutpostError('NOT_FOUND', `there is no plan ${id} to plan again`, 'see `outpost plan list` for stored plans');
    const { nodeModel, ...request } = stored.data;
    const lost = new Set(lostNodes);
    const devices = request.devices.filter((d) => d.node === undefined || !lost.has(d.node));
    if (!devices.length) throw new OutpostError('PRECONDITION', `no hardware of plan ${id} survives without ${lostNodes.join(', ')}`, 'add hosts to the site and plan again');
    if (nodeModel && lost.has(nodeModel.node)) throw new OutpostError('PRECONDITION', `plan ${id} loads ${nodeModel.path} from ${nodeModel.node}, which is lost`, 'plan again from a copy on another host');
    const { quant, bitsPerWeight } = this.get(id).plan.model;
    const common = { context: request.context, parallel: request.parallel, objective: request.objective, utilisation: request.utilisation, devices, nodes: request.nodes.filter((n) => !lost.has(n.name)), inventoryNodes: [], save: true, calibrate: true };
    const same = await this.plan(
      {
        ...(nodeModel ? { nodeModel: { node: nodeModel.node, path: nodeModel.path } } : { model: request.model }),
        // A GGUF file fixes its own quantisation; a catalog model keeps the one planned.
        quant: nodeModel || /\.gguf$/i.test(request.model) || resolveRelease(request.model, this.releases()) ? undefined : quant,
        ...common,
      },
      options.signal,
    );
    if (same.plan.feasible) return { ...same, note: null };
    if (!options.smallerQuant) return { ...same, note: `Re-planning keeps ${quant}: a smaller quantisation the site holds is tried only where its policy allows it (OUTPOST_REPLAN_SMALLER_QUANT=1)` };
    const surviving = [...new Set(devices.flatMap((d) => (d.node === undefined ? [] : [d.node])))];
    const held = surviving.flatMap((node) => (this.deps.nodeModelFiles(node) ?? []).filter((f) => f.format === 'gguf').map((f) => ({ node, path: f.path })));
    const siblings = smallerQuantSiblings(nodeModel?.path ?? request.model, bitsPerWeight, held);
    for (const sibling of siblings) {
      // A feasible plan whose head lands elsewhere stays stored but unused: the holder must load the file.
      const smaller = await this.plan({ nodeModel: sibling, ...common }, options.signal);
      if (smaller.plan.feasible && smaller.plan.stages[0]?.node === sibling.node) return { ...smaller, note: `fell back from ${quant} to ${smaller.plan.model.quant}, the copy ${sibling.node} holds (${sibling.path})` };
    }
    const none = siblings.length ? `no smaller quantisation the surviving hosts hold fits either (${siblings.map((f) => `${f.node}:${f.path}`).join(', ')})` : `the surviving hosts hold no smaller quantisation of this model`;
    return { ...same, note: `Re-planning tried a smaller quantisation: ${none}` };
  }

  /** A stored plan's request with another model (a rollout's next version), planned on the same hardware and stored. */
  async planWith(id: string, model: string, signal?: AbortSignal): Promise<{ planId: string | null; plan: PlanResult }> {
    const stored = StoredRequestSchema.safeParse(this.deps.plans.requestOf(id));
    if (!stored.success) throw new OutpostError('NOT_FOUND', `there is no plan ${id} to plan again`, 'see `outpost plan list` for stored plans');
    const { context, parallel, objective, utilisation, devices, nodes } = stored.data;
    return this.plan({ model, context, parallel, objective, utilisation, devices, nodes, inventoryNodes: [], save: true, calibrate: true }, signal);
  }

  get(id: string): { id: string; createdAt: string; plan: PlanResult } {
    const stored = this.deps.plans.get(id);
    if (!stored) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plan list` for stored plans');
    return stored;
  }

  /** The GGUF file a stored plan was made from: a path on this workstation (node null) or a node's file; null for a catalog model. */
  modelFileOf(id: string): { node: string | null; path: string; sizeBytes?: number; headerDigest?: string } | null {
    const stored = this.deps.plans.modelOf(id);
    if (!stored) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plan list` for stored plans');
    if (stored.nodeModel) return { ...stored.nodeModel };
    const release = stored.model === undefined ? null : resolveRelease(stored.model, this.releases());
    if (release) return { node: null, path: release.path as string };
    return stored.model !== undefined && /\.gguf$/i.test(stored.model) ? { node: null, path: resolve(stored.model) } : null;
  }

  /** Deletes a stored plan, unless a live deployment needs it: then the refusal names the deployments. */
  delete(id: string): { id: string } {
    const users = this.deps.deploymentsUsing(id);
    if (users.length) {
      throw new OutpostError(
        'CONFLICT',
        `plan ${id} is used by ${users.length === 1 ? 'deployment' : 'deployments'} ${users.join(', ')}`,
        `stop ${users.length === 1 ? 'it' : 'them'} on the Workers page (or \`outpost stop ${users[0]}\`), then delete the plan`,
      );
    }
    if (!this.deps.plans.delete(id)) throw new OutpostError('NOT_FOUND', `there is no plan ${id}`, 'see `outpost plans` for stored plans');
    return { id };
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

const isUnknownModel = (error: unknown): boolean => error instanceof OutpostError && error.code === 'NOT_FOUND' && error.message.startsWith('Unknown model');

const StoredRequestSchema = PlanRequestSchema.extend({ nodeModel: NodeModelFileSchema.optional() });

function withNodeFile(plan: PlanResult, file: NodeModelFile): PlanResult {
  return { ...plan, model: { ...plan.model, nodeFile: file } };
}
