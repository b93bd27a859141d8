import type { ShardPlan } from '../../shared/domain/planner.js';

const GB = 1e9;

/**
 * One row per stage: where its layers sit in the model (a span across all
 * layers), and how full its memory is, split into weights, KV cache and
 * overhead. The bottleneck stage is marked.
 */
export function StageBars({ plan }: { plan: ShardPlan }) {
  const layers = plan.model.layers;
  return (
    <div className="plan-stages" data-testid="plan-stages">
      {plan.stages.map((stage) => {
        const m = stage.memory;
        const pct = (bytes: number) => `${Math.min(100, (bytes / m.usableBytes) * 100).toFixed(2)}%`;
        const overhead = m.computeBufferBytes + m.overheadBytes + m.embeddingBytes + m.outputBytes;
        const isBottleneck = plan.bottleneck.kind === 'stage' && plan.bottleneck.stageIndex === stage.index;
        return (
          <div key={stage.index} className={`plan-stage ${isBottleneck ? 'bottleneck' : ''}`} data-testid={`plan-stage-${stage.index}`}>
            <div className="plan-stage-label">
              <strong>
                {stage.index + 1}. {stage.gpu}
              </strong>
              <span className="muted"> @ {stage.node}</span>
              {isBottleneck && <span className="plan-badge">bottleneck</span>}
            </div>
            <div className="plan-track" title={`layers ${stage.firstLayer}–${stage.lastLayer}`}>
              <div className="plan-layers" style={{ left: `${(stage.firstLayer / layers) * 100}%`, width: `${(stage.layerCount / layers) * 100}%` }}>
                {stage.firstLayer}–{stage.lastLayer}
              </div>
            </div>
            <div className="plan-track memory" title={`${(m.totalBytes / GB).toFixed(1)} of ${(m.usableBytes / GB).toFixed(1)} GB usable`}>
              <div className="plan-mem weights" style={{ width: pct(m.weightsBytes) }} />
              <div className="plan-mem kv" style={{ width: pct(m.kvCacheBytes) }} />
              <div className="plan-mem overhead" style={{ width: pct(overhead) }} />
            </div>
            <div className="plan-stage-figures muted">
              {stage.layerCount} layers{stage.holdsEmbedding ? ' + embedding' : ''}
              {stage.holdsOutput ? ' + output head' : ''} · {(m.totalBytes / GB).toFixed(1)}/{(m.usableBytes / GB).toFixed(1)} GB ({Math.round(m.fill * 100)}%) · decode {stage.decodeMs.toFixed(1)} ms
              {stage.hopToNextMs !== null ? ` · hop ${stage.hopToNextMs.toFixed(2)} ms (${stage.hopKind})` : ''}
            </div>
          </div>
        );
      })}
      <div className="plan-legend muted small">
        <span className="plan-key weights" /> weights <span className="plan-key kv" /> KV cache <span className="plan-key overhead" /> buffers, runtime, embedding/head
      </div>
    </div>
  );
}
