import type { PlanResult } from '../../shared/domain/planner.js';
import { StageBars } from './StageBars.js';

export function PlanResultView({ plan, planId }: { plan: PlanResult; planId: string | null }) {
  if (!plan.feasible) {
    return (
      <section className="card" data-testid="plan-infeasible">
        <h2>Does not fit</h2>
        <p className="warn">{plan.reason}</p>
        <WhatIf plan={plan} />
      </section>
    );
  }
  const e = plan.estimates;
  return (
    <>
      <section className="card">
        <header className="card-header">
          <h2>
            {plan.model.name} {plan.model.quant} · {plan.stages.length} stage{plan.stages.length === 1 ? '' : 's'}
          </h2>
          {planId && (
            <span className="chip" data-testid="plan-id">
              saved as {planId}
            </span>
          )}
        </header>
        {plan.model.nodeFile && (
          <p className="muted plan-model-source" data-testid="plan-model-source">
            {plan.model.layers} layers, {plan.model.architecture}, from the GGUF header of {plan.model.nodeFile.node}:{plan.model.nodeFile.path} (digest {plan.model.nodeFile.headerDigest.slice(0, 12)}…)
          </p>
        )}
        <div className="plan-estimates">
          <Figure label="aggregate" value={`${e.aggregateTokensPerSecond.toFixed(1)} tok/s`} testId="plan-aggregate" />
          <Figure label="one stream" value={`${e.singleStreamTokensPerSecond.toFixed(1)} tok/s`} />
          <Figure label={`TTFT (${e.promptTokens}-token prompt)`} value={`${Math.round(e.ttftMs)} ms`} />
          <Figure label="seed greedy" value={plan.baseline.aggregateTokensPerSecond === null ? plan.baseline.status : `${plan.baseline.aggregateTokensPerSecond.toFixed(1)} tok/s`} />
        </div>
        <StageBars plan={plan} />
        <p>
          <strong>Limit:</strong> {plan.bottleneck.description}
        </p>
      </section>
      <section className="card">
        <h2>Why</h2>
        <ul className="plan-explanation" data-testid="plan-explanation">
          {plan.explanation.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      </section>
      <section className="card">
        <h2>What if</h2>
        <WhatIf plan={plan} />
      </section>
    </>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="plan-figure">
      <div className="plan-figure-value" data-testid={testId}>
        {value}
      </div>
      <div className="muted small">{label}</div>
    </div>
  );
}

function WhatIf({ plan }: { plan: PlanResult }) {
  if (plan.whatIf.length === 0) return <p className="muted">no other quantization to compare</p>;
  return (
    <table className="table" data-testid="plan-what-if">
      <thead>
        <tr>
          <th scope="col">Quantization</th>
          <th scope="col">Fits</th>
          <th scope="col">Aggregate</th>
          <th scope="col">One stream</th>
          <th scope="col">TTFT</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        {plan.whatIf.map((row) => (
          <tr key={row.quant} className={row.quant === plan.model.quant ? 'plan-current' : ''}>
            <td className="mono">{row.quant}</td>
            <td className={row.fits ? 'ok' : 'warn'}>{row.fits ? 'yes' : 'no'}</td>
            <td>{row.aggregateTokensPerSecond === null ? '—' : `${row.aggregateTokensPerSecond.toFixed(1)} tok/s`}</td>
            <td>{row.singleStreamTokensPerSecond === null ? '—' : `${row.singleStreamTokensPerSecond.toFixed(1)} tok/s`}</td>
            <td>{row.ttftMs === null ? '—' : `${Math.round(row.ttftMs)} ms`}</td>
            <td className="muted">{row.note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
