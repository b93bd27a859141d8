import { explainInfeasible, explainPlan, whatIfTable } from './explain.js';
import { seedGreedy } from './greedy-baseline.js';
import type { ModelProfile } from './model-profile.js';
import { aggregateTokensPerSecond, planNumbers, type PlanNumbers, type PlanSetting } from './plan-estimate.js';
import { resolveInputs } from './plan-inputs.js';
import { bottleneckOfPlan, costTableOf, stagesOf } from './plan-report.js';
import type { Baseline, PlanRequestInput, PlanResult } from '../../../shared/domain/planner.js';
import type { AppliedCalibration } from '../../../shared/domain/calibration.js';
import { calibrationLines, keyOf, type PlanCalibration } from './calibration.js';

/**
 * Plans a model onto devices: validates, optimises exactly, and explains. Pure: a GGUF model
 * arrives as a profile the caller read (index.ts does it through the file adapter).
 */
export function planShards(input: PlanRequestInput, ggufProfile?: ModelProfile, calibration?: PlanCalibration): PlanResult {
  const inputs = resolveInputs(input, ggufProfile, calibration);
  const { request, profile } = inputs;
  const setting: PlanSetting = {
    profile,
    devices: inputs.devices,
    nodes: inputs.nodes,
    context: request.context,
    parallel: request.parallel,
    utilisation: request.utilisation,
    objective: request.objective,
  };
  const numbers = planNumbers(setting);
  const whatIf = request.whatIf ? whatIfTable(setting, inputs.catalogModel) : [];
  const baseline = greedyBaseline(setting, numbers);
  const common = {
    objective: request.objective,
    model: {
      name: profile.name,
      architecture: profile.architecture,
      layers: profile.layers,
      quant: profile.quantization,
      bitsPerWeight: profile.bitsPerWeight,
      totalBytes: profile.totalBytes,
      source: profile.source,
    },
    context: request.context,
    parallel: request.parallel,
    utilisation: request.utilisation,
    costTable: costTableOf(setting, numbers),
    calibration: appliedCalibrations(inputs.devices.map((d) => d.calibration)),
    whatIf,
    baseline,
  };
  const optimum = numbers.optimum;
  if (optimum === null) {
    const why = explainInfeasible(setting, inputs.catalogModel);
    return {
      feasible: false,
      ...common,
      explanation: [`Does not fit: ${why.reason}.`, ...calibrationLines(common.calibration), `Seed greedy (fill by VRAM to 85%): ${baseline.note}`],
      reason: why.reason,
      needBytes: why.needBytes,
      usableBytes: why.usableBytes,
      fitsWith: why.fitsWith,
    };
  }
  const stages = stagesOf(setting, numbers);
  const estimates = {
    aggregateTokensPerSecond: numbers.aggregateTokensPerSecond ?? 0,
    singleStreamTokensPerSecond: numbers.singleStreamTokensPerSecond ?? 0,
    ttftMs: numbers.ttftMs ?? 0,
    promptTokens: 512,
    microBatch: numbers.workload.microBatch,
  };
  const bottleneck = bottleneckOfPlan(setting, stages, optimum.cost);
  const explanation = explainPlan(
    setting,
    stages,
    bottleneck,
    estimates,
    baseline,
    inputs.devices.map((d) => d.id),
  );
  return { feasible: true, ...common, stages, estimates, bottleneck, explanation: [...explanation, ...calibrationLines(common.calibration)] };
}

function greedyBaseline(setting: PlanSetting, numbers: PlanNumbers): Baseline {
  const outcome = seedGreedy(
    numbers.problem,
    setting.devices.map((d) => d.gpu.memoryBytes),
    setting.profile.totalBytes,
  );
  const layersPerDevice = (outcome.partition?.order ?? []).map((device, i) => ({
    deviceId: setting.devices[device]?.id ?? '?',
    layers: outcome.partition?.counts[i] ?? 0,
  }));
  const aggregate = outcome.cost === null || outcome.partition === null ? null : aggregateTokensPerSecond(setting.parallel, outcome.cost, outcome.partition.order.length);
  let note: string;
  if (outcome.status === 'refused') {
    note = 'refuses: by its own arithmetic the weights do not fit 85% of the VRAM.';
  } else if (outcome.status === 'overflows') {
    note = 'places the layers, but a device overflows once the KV cache, compute buffer and head are counted.';
  } else {
    const ours = numbers.aggregateTokensPerSecond;
    note = `${aggregate?.toFixed(1)} tokens/s aggregate under the same model` + (ours !== null && aggregate !== null ? ` (this plan: ${(ours / aggregate).toFixed(2)}×).` : '.');
  }
  return { status: outcome.status, aggregateTokensPerSecond: aggregate, layersPerDevice, note };
}

/** Each applied record once, in device order. */
function appliedCalibrations(perDevice: ReadonlyArray<AppliedCalibration | undefined>): AppliedCalibration[] {
  const seen = new Map<string, AppliedCalibration>();
  for (const applied of perDevice) if (applied && !seen.has(keyOf(applied))) seen.set(keyOf(applied), applied);
  return [...seen.values()];
}
