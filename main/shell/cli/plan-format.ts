import type { PlanResult, ShardPlan } from '../../../shared/domain/planner.js';

const GB = 1e9;

/** A text bar: weights █, KV cache ▓, overhead (buffers, runtime, embedding/head) ▒, free ░. */
function memoryBar(stage: ShardPlan['stages'][number], width = 24): string {
  const m = stage.memory;
  const cells = (bytes: number) => Math.round((bytes / m.usableBytes) * width);
  const weights = cells(m.weightsBytes);
  const kv = cells(m.kvCacheBytes);
  const overhead = Math.max(0, Math.min(width - weights - kv, cells(m.totalBytes) - weights - kv));
  const free = Math.max(0, width - weights - kv - overhead);
  return `${'█'.repeat(weights)}${'▓'.repeat(kv)}${'▒'.repeat(overhead)}${'░'.repeat(free)}`;
}

export function formatPlan(planId: string | null, plan: PlanResult, explain: boolean): string {
  const head = `${plan.model.name}${plan.model.release ? ` version ${plan.model.release.version} (HQ release, sha256 ${plan.model.release.digest.slice(0, 12)}…)` : ''} ${plan.model.quant}, context ${plan.context}, ${plan.parallel} parallel, objective ${plan.objective}`;
  if (!plan.feasible) {
    return [`Does not fit: ${head}`, `  ${plan.reason}`, ...(explain ? plan.explanation.map((l) => `  ${l}`) : [])].join('\n');
  }
  const lines = [`${planId ? `Plan ${planId}` : 'Plan (not saved)'} — ${head}`, ''];
  const rows = plan.stages.map((s) => [
    String(s.index + 1),
    `${s.gpu} @ ${s.node}`,
    `${s.firstLayer}–${s.lastLayer} (${s.layerCount})${s.holdsEmbedding ? ' +emb' : ''}${s.holdsOutput ? ' +head' : ''}`,
    `${memoryBar(s)} ${(s.memory.totalBytes / GB).toFixed(1)}/${(s.memory.usableBytes / GB).toFixed(1)} GB ${Math.round(s.memory.fill * 100)}%`,
    `${s.decodeMs.toFixed(1)} ms${plan.bottleneck.kind === 'stage' && plan.bottleneck.stageIndex === s.index ? ' ◀ bottleneck' : ''}`,
  ]);
  const header = ['Stage', 'Device', 'Layers', 'Memory (█ weights ▓ KV ▒ overhead ░ free)', 'Decode'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line), '');
  lines.push(`Bottleneck: ${plan.bottleneck.description}`);
  const e = plan.estimates;
  lines.push(`Estimates: ${e.aggregateTokensPerSecond.toFixed(1)} tokens/s aggregate · ${e.singleStreamTokensPerSecond.toFixed(1)} tokens/s one stream · TTFT ${Math.round(e.ttftMs)} ms (${e.promptTokens}-token prompt)`);
  lines.push(`Seed greedy baseline: ${plan.baseline.note}`);
  if (explain) {
    lines.push('', 'Why:', ...plan.explanation.map((l) => `  ${l}`));
    if (plan.whatIf.length) {
      lines.push('', 'What if:');
      for (const row of plan.whatIf) {
        const figures = row.fits ? `${row.aggregateTokensPerSecond?.toFixed(1)} tok/s, one stream ${row.singleStreamTokensPerSecond?.toFixed(1)} tok/s, TTFT ${Math.round(row.ttftMs ?? 0)} ms` : 'does not fit';
        lines.push(`  ${row.quant.padEnd(7)} ${figures} — ${row.note}`);
      }
    }
  }
  return lines.join('\n');
}
