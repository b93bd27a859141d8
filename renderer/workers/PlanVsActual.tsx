import type { DeploymentActuals } from '../../shared/domain/calibration.js';

const mib = (bytes: number | null): string => (bytes === null ? '—' : `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 2 : 0)} MiB`);
const figure = (value: number | null, unit: string, digits = 1): string => (value === null ? '—' : `${value.toFixed(digits)} ${unit}`);

/** The launch's measurements beside the plan's estimates, as the workers.list call returns them. */
export function PlanVsActual({ actuals }: { actuals: DeploymentActuals }) {
  return (
    <div data-testid="plan-vs-actual">
      <h3 className="small">Plan vs actual</h3>
      <table className="table workers-table">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col">Estimated</th>
            <th scope="col">Actual</th>
            <th scope="col">nvidia-smi used</th>
          </tr>
        </thead>
        <tbody>
          {actuals.stages.map((s) => (
            <tr key={s.index} data-testid={`actual-stage-${s.index}`}>
              <td>
                Stage {s.index + 1} memory{' '}
                <span className="muted">
                  ({s.gpu} on {s.node})
                </span>
              </td>
              <td className="mono">{mib(s.estimatedBytes)}</td>
              <td className="mono">
                {mib(s.loadLogBytes)}
                {s.note && <div className="muted small">{s.note}</div>}
              </td>
              <td className="mono">{s.gpuUsedBytes === null ? 'not measured' : mib(s.gpuUsedBytes)}</td>
            </tr>
          ))}
          <tr data-testid="actual-tokens">
            <td>Tokens/s (one stream)</td>
            <td className="mono">{figure(actuals.estimatedTokensPerSecond, 'tok/s')}</td>
            <td className="mono">{figure(actuals.tokensPerSecond, 'tok/s')}</td>
            <td />
          </tr>
          <tr data-testid="actual-ttft">
            <td>TTFT</td>
            <td className="mono">{figure(actuals.estimatedTtftMs, 'ms', 0)} (512-token prompt)</td>
            <td className="mono">{figure(actuals.ttftMs, 'ms', 0)} (test prompt)</td>
            <td />
          </tr>
        </tbody>
      </table>
      {actuals.calibration.rejected.map((r, i) => (
        <p key={i} className="small" data-testid="calibration-rejected">
          Calibration sample rejected ({r.gpu} {r.quant} {r.what}): {r.reason}
        </p>
      ))}
      {actuals.calibration.accepted.length > 0 && <p className="muted small">Calibration: {actuals.calibration.accepted.map((a) => `${a.gpu} ${a.quant} ${a.what} ×${a.ratio.toFixed(2)}`).join(', ')}; later plans use it.</p>}
    </div>
  );
}
