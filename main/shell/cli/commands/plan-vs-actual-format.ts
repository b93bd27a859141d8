import type { DeploymentActuals } from '../../../../shared/domain/calibration.js';

const mib = (bytes: number | null): string => (bytes === null ? '-' : `${(bytes / 1048576).toFixed(bytes < 1048576 * 10 ? 2 : 0)} MiB`);
const fixed = (value: number | null, digits: number): string => (value === null ? '-' : value.toFixed(digits));

/** Plan vs actual under a deployment: memory per stage, tokens/s and TTFT, and what calibration made of them. */
export function formatActuals(actuals: DeploymentActuals): string[] {
  const lines = [
    `  plan vs actual (measured ${actuals.measuredAt}):`,
    `    tokens/s  estimated ${fixed(actuals.estimatedTokensPerSecond, 1)}  actual ${fixed(actuals.tokensPerSecond, 1)}`,
    `    TTFT      estimated ${fixed(actuals.estimatedTtftMs, 0)} ms (512-token prompt)  actual ${fixed(actuals.ttftMs, 0)} ms (test prompt)`,
    ...actuals.stages.map(
      (s) => `    stage ${s.index} ${s.gpu} on ${s.node}: estimated ${mib(s.estimatedBytes)}  load log ${mib(s.loadLogBytes)}  nvidia-smi used ${s.gpuUsedBytes === null ? 'not measured' : mib(s.gpuUsedBytes)}${s.note ? `  (${s.note})` : ''}`,
    ),
    ...actuals.calibration.accepted.map((a) => `    calibration: ${a.gpu} ${a.engine} ${a.quant} ${a.what} ×${a.ratio.toFixed(3)} accepted`),
    ...actuals.calibration.rejected.map((r) => `    calibration: ${r.gpu} ${r.engine} ${r.quant} ${r.what} rejected: ${r.reason}`),
  ];
  return lines;
}
