import type { ShardPlan } from '../../../shared/domain/planner.js';
import type { EngineKind } from '../../../shared/domain/workers.js';
import { GPU_MEMORY_QUERY, gpuMemoryUsed, measure } from './actuals.js';
import type { StagePlacement } from './engines/index.js';
import type { Pipeline } from './pipeline.js';
import type { RemoteHosts, WorkersPorts } from './ports.js';

/** Enough of the head's log to reach back to its load, however chatty the start was. */
const HEAD_LOG_LINES = 5000;

export interface ReadyLaunch {
  id: string;
  engine: EngineKind;
  plan: ShardPlan;
  stages: readonly StagePlacement[];
  pipeline: Pipeline;
  hosts: RemoteHosts;
  test: { tokensPerSecond: number; ttftMs: number };
  signal: AbortSignal;
}

/**
 * Reads what each stage really holds (the head's load log; nvidia-smi where a stage has a GPU), keeps it
 * beside the plan's estimates, and hands the samples to the planner's calibration. A measurement that
 * cannot be read leaves a note, never fails the launch.
 */
export async function recordActuals(deps: Pick<WorkersPorts, 'actuals' | 'calibrate' | 'clock' | 'journal'>, launch: ReadyLaunch): Promise<void> {
  try {
    await measureAndKeep(deps, launch);
  } catch (error) {
    deps.journal.record({
      actor: 'system',
      user: 'workers',
      action: 'workers.actuals-unmeasured',
      input: { deployment: launch.id },
      outcome: 'error',
      errorCode: 'INTERNAL',
      detail: `plan vs actual was not recorded: ${(error as Error).message}`.slice(0, 2000),
    });
  }
}

async function measureAndKeep(deps: Pick<WorkersPorts, 'actuals' | 'calibrate' | 'clock'>, launch: ReadyLaunch): Promise<void> {
  if (!deps.actuals) return;
  const head = launch.pipeline.spec.workers.find((w) => w.role === 'head');
  const headLog = launch.engine === 'llama.cpp' && head ? await launch.pipeline.tail(head, HEAD_LOG_LINES).catch(() => null) : null;
  const gpuNodes = [...new Set(launch.stages.filter((s) => s.gpu !== 'CPU').map((s) => s.node))];
  const gpuMemory = new Map(await Promise.all(gpuNodes.map(async (node) => [node, await launch.hosts.check(node, GPU_MEMORY_QUERY, 'reading GPU memory', { signal: launch.signal }).then(gpuMemoryUsed, () => null)] as const)));
  const { actuals, samples } = measure({ deploymentId: launch.id, engine: launch.engine, at: deps.clock.now().toISOString(), plan: launch.plan, stages: launch.stages, headLog, gpuMemory, test: launch.test });
  const calibration = deps.calibrate ? deps.calibrate(samples) : { accepted: [], rejected: [] };
  deps.actuals.put(launch.id, { ...actuals, calibration });
}
