import { OutpostError } from '../../../shared/errors.js';
import type { CalibrationSample, CalibrationVerdict, DeploymentActuals } from '../../../shared/domain/calibration.js';
import type { PlanResult } from '../../../shared/domain/planner.js';
import type { ModelReleaseEntry, ReleaseRef } from '../../../shared/domain/models.js';
import type { Deployment, DeploymentStage, DeploymentState, EngineKind, LaunchProgress, Replan, RpcTransport, WorkerChange, WorkerState } from '../../../shared/domain/workers.js';
import type { JobRegistry } from '../../platform/jobs.js';
import type { JournalRecord } from '../../platform/store/index.js';
import type { WorkerSpec } from './engines/index.js';
import type { NodeGpu } from './gpu-placement.js';

/**
 * The ports the Workers rules (launch, pipeline, supervision) are written against. app/core.ts wires the real
 * ones (SSH with pinned host keys, the head's HTTP API, SQLite, a pid file, the system clock); the unit tests
 * beside the rules pass fakes for time and failure.
 */

/** Where a node's SSH answers; the adapters' endpoint adds the login and the pinned host key. */
export interface NodeAddress {
  node: string;
  address: string;
  port: number;
}

export interface RemoteCommandOptions {
  stdin?: string;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** Shells on one deployment's nodes, opened on first use; an unreachable node fails with UNAVAILABLE naming it. */
export interface RemoteHosts {
  endpoint(node: string): NodeAddress;
  /** Runs a script with /bin/sh on the node. */
  run(node: string, script: string, options?: RemoteCommandOptions): Promise<{ exitCode: number | null; stderr: string }>;
  /** Like run, but a non-zero exit is an error naming the host and its stderr; resolves to stdout. */
  check(node: string, script: string, what: string, options?: RemoteCommandOptions): Promise<string>;
  /**
   * Copies a local file to `remotePath` (whose folder exists), resuming an interrupted copy whose partial file
   * still matches the file's start; resolves to what was copied and the digest of the bytes read.
   */
  upload(node: string, localPath: string, remotePath: string, options: UploadCallbacks): Promise<CopyOutcome>;
  /** `[address]:port type base64`: the node's pinned host key, for a known_hosts file on another host. */
  hostKeyLine(node: string, signal?: AbortSignal): Promise<string>;
  close(): void;
}

export interface UploadCallbacks {
  /** Once, before the first byte: where the copy starts (bytes kept from an earlier copy) and the size. */
  onStart?: (resumedFrom: number, total: number) => void;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal | undefined;
}

export interface CopyOutcome {
  bytes: number;
  resumedFrom: number;
  /** Bytes of an earlier partial copy thrown away because its digest did not match the file's start. */
  discardedPartial: number;
  /** sha256 of the local file as it was read during the copy. */
  sha256: string;
}

export interface PromptResult {
  text: string;
  tokens: number;
  tokensPerSecond: number;
  ttftMs: number;
}

/** The head's OpenAI-compatible API. */
export interface HeadApi {
  /** True when `path` answers 200 (never throws). */
  healthy(apiUrl: string, path: string): Promise<boolean>;
  /** Streams one chat completion; `onText` gets each piece as it arrives. */
  prompt(apiUrl: string, model: string, prompt: string, maxTokens: number, onText: (text: string) => void, signal?: AbortSignal): Promise<PromptResult>;
}

export interface Clock {
  /** The wall clock, for what is shown and stored; it may step (NTP, a technician, a dead RTC battery). */
  now(): Date;
  /** Milliseconds on a clock that only moves forward: every duration, deadline and backoff is measured on it. */
  elapsedMs(): number;
  /** Resolves after `ms`; rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `task` once after `ms` without keeping the process alive for it (a background round); returns its cancel. */
  later(ms: number, task: () => void): () => void;
}

/** One supervisor per data dir: whoever holds this lock. */
export interface Lock {
  /** False when another live process holds it. */
  acquire(): boolean;
  release(): void;
}

/** What a supervisor in any core process needs to check, restart and stop a deployment. */
export interface DeploymentSpec {
  user: string;
  /** The key the site logs in with (null: the site key). */
  keyPath: string | null;
  servedModel: string;
  parallel: number;
  stages: DeploymentStage[];
  /** In start order. */
  workers: WorkerSpec[];
  /** Node → run dir on that host. */
  runDirs: Record<string, string>;
  /** Nodes whose authorized_keys carry this deployment's tunnel key. */
  keyNodes: string[];
  keyMarker: string;
  /** The workstation process that ran the launch: a launch whose process ended before it finished was interrupted. */
  launcherPid?: number;
  /** What the launch was asked beyond the plan: a re-plan or a restore launches again with the same. */
  relaunch?: { port: number; threads: number; template?: string | undefined };
  /** Re-planning after a lost host (see Replan). */
  replan?: Replan;
  /** The HQ release it runs (name, HQ's version, digest); absent for a plain file or a catalog model. */
  release?: ReleaseRef;
  /** Rollout and rollback (see rollout.ts): what this one replaced, and what became of the last attempt. */
  rollout?: RolloutRecord;
}

export interface RolloutRecord {
  /** The deployment a rollout replaced: a rollback launches its plan again. */
  previous?: { deployment: string; version: string };
  detail?: string;
}

export interface WorkerFields {
  state?: WorkerState;
  pid?: number | null;
  startedAt?: string | null;
  lastError?: string | null;
}

/** A deployment's stored spec, or the NOT_FOUND every caller answers with. */
export function requireSpec(store: Pick<DeploymentStore, 'spec'>, id: string): DeploymentSpec {
  const spec = store.spec(id);
  if (!spec) throw new OutpostError('NOT_FOUND', `there is no deployment ${id}`, 'see `outpost workers` for the deployments');
  return spec;
}

/** The deployments and their workers as stored. */
export interface DeploymentStore {
  create(row: { id: string; planId: string; model: string; engine: EngineKind; rpcTransport: RpcTransport; spec: DeploymentSpec; at: string }): void;
  exists(id: string): boolean;
  spec(id: string): DeploymentSpec | null;
  setSpec(id: string, spec: DeploymentSpec): void;
  setState(id: string, state: DeploymentState, detail: string | null, at: string): void;
  /** Moves to `to` only from one of `from`, atomically: a Stop and a restart racing each other cannot both win. */
  transition(id: string, from: readonly DeploymentState[], to: DeploymentState, detail: string | null, at: string): boolean;
  setServing(id: string, fields: { apiUrl?: string | null; endpoint?: string | null; tokensPerSecond?: number | null }): void;
  setWorker(id: string, name: string, fields: WorkerFields): void;
  /** Records one restart of a worker; returns its restart count. */
  recordRestart(id: string, worker: string, reason: string, backoffMs: number, at: string): number;
  get(id: string): Deployment | null;
  /** Newest first; stopped and failed ones only when asked. */
  list(all: boolean): Deployment[];
}

export interface LocalModel {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string;
}

/** The GGUF file a plan was made from: on this workstation (node null) or on a node. */
export interface PlanModelFile {
  node: string | null;
  path: string;
  /** A node's file: its size and the sha256 of its first MiB when the plan read it (the file in the node's scan). */
  sizeBytes?: number;
  headerDigest?: string;
}

export interface ModelStore {
  /** The file a stored plan was made from; null for a catalog model. */
  fileOfPlan(planId: string): PlanModelFile | null;
  /** A local model file with its digest. */
  local(path: string): Promise<LocalModel>;
}

/** Plans again, for a deployment that lost hosts. */
export interface Replanner {
  /**
   * The stored plan's request (same model, same quantisation, context and parallel) planned on its hardware
   * less the lost nodes; a feasible plan is stored (planId), an infeasible one says what the survivors offer.
   * `note`: a smaller quantisation fallen back to (where the site's policy allows it), or why none was.
   */
  planWithout(planId: string, lostNodes: readonly string[], signal?: AbortSignal): Promise<{ planId: string | null; plan: PlanResult; note?: string | null }>;
}

/** The router's endpoint list, as far as deployments go. */
export interface RouterRegistration {
  register(name: string, url: string, model: string, slots: number): void;
  withdraw(name: string): void;
  /**
   * Requests still running on an endpoint: `applied` once the router has loaded the configuration of the last
   * withdraw (before that, new requests may still reach it). Null when no router runs (nothing to drain).
   */
  inFlight?(name: string): { applied: boolean; inFlight: number } | null;
}

/** HQ's releases and planning another version of a stored plan's release, for a rollout. */
export interface ReleasePorts {
  /** Every release that arrived, any order. */
  list(): ModelReleaseEntry[];
  /** The stored plan's request with its model replaced by `model` (name@version), planned on the same hardware and stored. */
  planWith(planId: string, model: string, signal?: AbortSignal): Promise<{ planId: string | null; plan: PlanResult }>;
}

export interface WorkersEvents {
  progress(p: LaunchProgress): void;
  changed(c: WorkerChange): void;
  token(requestId: string, text: string): void;
}

/**
 * The ports the Workers capability is built on. `Endpoint` is the adapters' endpoint (login, pinned key):
 * the rules only resolve endpoints and hand them to `openHosts`.
 */
export interface WorkersDeps<Endpoint extends NodeAddress = NodeAddress> {
  repository: DeploymentStore;
  /** A stored plan. */
  plans: (id: string) => PlanResult;
  models: ModelStore;
  replans: Replanner;
  /** SSH endpoints of inventory nodes, by name; refuses a node that is unknown or has no good pin. */
  endpoints: (nodes: readonly string[], user: string, keyPath: string | undefined) => ReadonlyMap<string, Endpoint>;
  openHosts: (endpoints: ReadonlyMap<string, Endpoint>) => RemoteHosts;
  /** A node's GPUs as discovery recorded them; none for a CPU box. */
  gpus: (node: string) => readonly NodeGpu[];
  head: HeadApi;
  /** A fresh OpenSSH key pair (public line, private PEM) with `comment`. */
  newKeyPair: (comment: string) => { public: string; private: string };
  router: RouterRegistration;
  jobs: JobRegistry;
  journal: { record(entry: JournalRecord): void };
  events: WorkersEvents;
  clock: Clock;
  newId: () => string;
  /** The login of a node as discovery inventoried it (null: none kept); a launch without --user uses it. */
  inventoriedLogin: (node: string) => string | null;
  /** The workstation's own user: the last resort when no node kept a login. */
  localUser: () => string;
  logVerbosity: number;
  /** This data dir's lasting id, written into every worker's environment (see ownerTag in remote-scripts.ts). */
  owner: string;
  /** Processes of this workstation: this one's pid, and whether another still runs. */
  localProcesses: LocalProcesses;
  /** Plan vs actual: where a launch's measurements are kept (none: not measured). */
  actuals?: ActualsStore;
  /** Hands measured samples to the planner's calibration, which says which it accepted and why it rejected the others. */
  calibrate?: (samples: ReadonlyArray<Omit<CalibrationSample, 'site'>>) => CalibrationVerdict;
  /** HQ's model releases (none: deployments offer no rollout). */
  releases?: ReleasePorts;
}

export interface ActualsStore {
  put(id: string, actuals: DeploymentActuals): void;
  get(id: string): DeploymentActuals | null;
}

export interface LocalProcesses {
  readonly self: number;
  alive(pid: number): boolean;
}

/** The same ports with the endpoint type bound: how the rules open shells on a set of nodes. */
export type WorkersPorts = Omit<WorkersDeps, 'endpoints' | 'openHosts'> & {
  openHosts: (nodes: readonly string[], user: string, keyPath: string | undefined) => RemoteHosts;
};
