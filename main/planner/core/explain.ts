import { memoryCapacities } from './capacity.js';
import { QUANTIZATIONS, type ModelSpec } from './catalog-models.js';
import { profileFromCatalog, requantised, type ModelProfile } from './model-profile.js';
import { planNumbers, type PlanSetting } from './plan-estimate.js';
import { fmtGB, fmtMs } from './plan-report.js';
import { stageBytes } from './partition.js';
import type { Baseline, Stage, WhatIfRow } from '../../../shared/domain/planner.js';

/** The model at another quantization: catalog figures when we have them, else scaled from the file. */
export function profileAt(profile: ModelProfile, catalogModel: ModelSpec | null, quant: (typeof QUANTIZATIONS)[number]): ModelProfile {
  return catalogModel !== null ? profileFromCatalog(catalogModel, quant) : requantised(profile, quant);
}

export function whatIfTable(setting: PlanSetting, catalogModel: ModelSpec | null): WhatIfRow[] {
  return QUANTIZATIONS.map((quant) => {
    const profile = profileAt(setting.profile, catalogModel, quant);
    const current = quant.name === setting.profile.quantization;
    // Calibration is measured per quantisation: another quantisation's row uses the bare cost model.
    const devices = current ? setting.devices : setting.devices.map(({ calibration: _calibration, ...device }) => device);
    const numbers = planNumbers({ ...setting, devices, profile: current ? setting.profile : profile });
    const fits = numbers.optimum !== null;
    const note = current
      ? 'this plan'
      : catalogModel === null
        ? `estimated by scaling the file to ${quant.bitsPerWeight} bits per weight; needs that file`
        : fits
          ? `${fmtGB(profile.totalBytes)} of weights`
          : `does not fit: ${fmtGB(profile.totalBytes)} of weights`;
    return {
      quant: quant.name,
      bitsPerWeight: current ? setting.profile.bitsPerWeight : quant.bitsPerWeight,
      fits,
      aggregateTokensPerSecond: numbers.aggregateTokensPerSecond,
      singleStreamTokensPerSecond: numbers.singleStreamTokensPerSecond,
      ttftMs: numbers.ttftMs,
      note,
    };
  });
}

export interface Infeasibility {
  readonly reason: string;
  readonly needBytes: number;
  readonly usableBytes: number;
  readonly fitsWith: string[];
}

/** Why nothing fits, in one line with the figures, and the nearest changes that would fit. */
export function explainInfeasible(setting: PlanSetting, catalogModel: ModelSpec | null): Infeasibility {
  const numbers = planNumbers({ ...setting, objective: 'latency' });
  const devices = numbers.problem.devices;
  const L = numbers.problem.layers;
  const template = devices[0];
  const layerBytes = template?.layerBytes ?? 0;
  const usable = devices.reduce((sum, d) => sum + d.usableBytes, 0);
  // What the whole model needs if every device takes part: layers, both ends, and each device's fixed share.
  const need = L * layerBytes + (template?.firstBytes ?? 0) + (template?.lastBytes ?? 0) + devices.reduce((sum, d) => sum + d.fixedBytes, 0);

  const fitsWith: string[] = [];
  const smaller = QUANTIZATIONS.filter((q) => q.bitsPerWeight < setting.profile.bitsPerWeight).sort((a, b) => b.bitsPerWeight - a.bitsPerWeight);
  const quantFit = smaller.find((q) => planNumbers({ ...setting, objective: 'latency', profile: profileAt(setting.profile, catalogModel, q) }).optimum !== null);
  if (quantFit !== undefined) fitsWith.push(quantFit.name);
  let context = setting.context;
  let contextFit: number | null = null;
  while (context > 512) {
    context = Math.max(512, Math.floor(context / 2));
    if (planNumbers({ ...setting, objective: 'latency', context }).optimum !== null) {
      contextFit = context;
      break;
    }
  }
  const options = [...(quantFit !== undefined ? [`with ${quantFit.name}`] : []), ...(contextFit !== null ? [`with context ${contextFit}`] : [])];
  if (contextFit !== null) fitsWith.push(`context ${contextFit}`);
  // CPU boxes take more RAM or more boxes, not GPUs; a mixed set takes either.
  const allCpu = setting.devices.length > 0 && setting.devices.every((d) => d.gpu.name === 'CPU');
  const more = allCpu ? 'add nodes (or RAM) to the plan' : 'add GPUs or nodes to the plan';
  const remedy = options.length > 0 ? `fits ${options.join(', or ')}` : `nothing smaller in the catalog fits either: ${more}`;

  let reason: string;
  if (need > usable) {
    reason = `needs ${fmtGB(need)}, ${fmtGB(usable)} usable; ${remedy}`;
  } else {
    const holds = devices.map((d) => Math.max(0, memoryCapacities(d).middle));
    const head = devices.some((d) => stageBytes(d, 1, 'last') <= d.usableBytes);
    const why = head ? `whole layers of ${fmtGB(layerBytes)} do not pack onto these devices (they hold at most ${holds.join(', ')} layers each)` : `no device can hold the output head with a layer (${fmtGB(template?.lastBytes ?? 0)})`;
    reason = `needs ${fmtGB(need)} of ${fmtGB(usable)} usable, but ${why}; ${remedy}`;
  }
  return { reason, needBytes: need, usableBytes: usable, fitsWith };
}

export function explainPlan(
  setting: PlanSetting,
  stages: readonly Stage[],
  bottleneck: { description: string; kind: string },
  estimates: { aggregateTokensPerSecond: number; singleStreamTokensPerSecond: number; ttftMs: number },
  baseline: Baseline,
  deviceIds: readonly string[],
): string[] {
  const lines: string[] = [];
  const p = setting.profile;
  lines.push(
    `${p.name} ${p.quantization}, context ${setting.context}, ${setting.parallel} parallel sequence${setting.parallel === 1 ? '' : 's'}, ` +
      `objective ${setting.objective}: ${stages.length} stage${stages.length === 1 ? '' : 's'} on ${stages.length} of ${deviceIds.length} devices.`,
  );
  for (const s of stages) {
    const ends = [s.holdsEmbedding ? 'the embedding' : '', s.holdsOutput ? 'the output head' : ''].filter(Boolean).join(' and ');
    const why =
      s.limitedBy === 'memory'
        ? `memory is full at ${(s.memory.fill * 100).toFixed(0)}% of usable; another layer would not fit`
        : s.limitedBy === 'bottleneck'
          ? `one more layer would push its ${fmtMs(s.decodeMs)} stage past the bottleneck`
          : 'fewer than it could hold: the remaining layers are cheaper on faster devices';
    lines.push(`Stage ${s.index + 1}: ${s.gpu} on ${s.node} takes layers ${s.firstLayer}–${s.lastLayer} (${s.layerCount})${ends ? ` plus ${ends}` : ''}; ${why}.`);
  }
  const used = new Set(stages.map((s) => s.deviceId));
  const unused = deviceIds.filter((id) => !used.has(id));
  if (unused.length > 0) {
    const partEmpty = setting.objective === 'throughput' && setting.parallel < deviceIds.length;
    lines.push(
      partEmpty
        ? `Unused: ${unused.join(', ')}: with ${setting.parallel} parallel sequence${setting.parallel === 1 ? '' : 's'} a longer pipeline runs part-empty, so the extra hops would cost more than the shorter stages save (${deviceIds.length} parallel sequences would fill it).`
        : `Unused: ${unused.join(', ')}: adding them would not lower the bottleneck and would add a hop (or they cannot hold a layer).`,
    );
  }
  lines.push(
    `Limit: ${bottleneck.description}. Estimates: ${estimates.aggregateTokensPerSecond.toFixed(1)} tokens/s aggregate, ` + `${estimates.singleStreamTokensPerSecond.toFixed(1)} tokens/s for one stream, TTFT ${fmtMs(estimates.ttftMs)} for a 512-token prompt.`,
  );
  if (p.layerBytesMin !== p.layerBytes) {
    lines.push(`Blocks in this file range from ${fmtGB(p.layerBytesMin)} to ${fmtGB(p.layerBytes)}; every block is charged as the heaviest, so memory figures are upper bounds.`);
  }
  lines.push(`Seed greedy (fill by VRAM to 85%): ${baseline.note}`);
  return lines;
}
