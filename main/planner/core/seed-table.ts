import { planShards } from './plan-shards.js';
import type { PlanRequestInput, PlanResult } from '../../../shared/domain/planner.js';

/** The seed article's five Llama 3.1 70B configurations and the figures it claims for them. */
export const SEED_CONFIGURATIONS = [
  { label: '4x A100 80GB (seed: TP=4)', devices: [{ gpu: 'A100-80GB', count: 4, node: 'dgx' }], quant: 'F16', seed: { tokensPerSecond: 2400, ttftMs: 45, memoryGB: 280 } },
  {
    label: '2x A100 + 2x L40S',
    devices: [
      { gpu: 'A100-80GB', count: 2, node: 'a100-box' },
      { gpu: 'L40S', count: 2, node: 'l40s-box' },
    ],
    quant: 'F16',
    seed: { tokensPerSecond: 1800, ttftMs: 65, memoryGB: 256 },
  },
  {
    label: '1x A100 + 3x A10G',
    devices: [
      { gpu: 'A100-80GB', node: 'a100-box' },
      { gpu: 'A10G', count: 3, node: 'a10g-box' },
    ],
    quant: 'F16',
    seed: { tokensPerSecond: 900, ttftMs: 120, memoryGB: 152 },
  },
  { label: '4x L40S 48GB', devices: [{ gpu: 'L40S', count: 4, node: 'l40s-box' }], quant: 'F16', seed: { tokensPerSecond: 1600, ttftMs: 55, memoryGB: 192 } },
  { label: '2x A10G (Q4_K_M)', devices: [{ gpu: 'A10G', count: 2, node: 'a10g-box' }], quant: 'Q4_K_M', seed: { tokensPerSecond: 600, ttftMs: 90, memoryGB: 40 } },
] as const;

export interface SeedRow {
  readonly label: string;
  readonly quant: string;
  readonly seed: { tokensPerSecond: number; ttftMs: number; memoryGB: number };
  /** One sequence, 8K context. */
  readonly single: PlanResult;
  /** 32 sequences in flight, 2K context each: the batched serving the seed's tok/s figures imply. */
  readonly batched: PlanResult;
  readonly notes: string[];
}

const memoryUsedGB = (plan: PlanResult): number | null => (plan.feasible ? plan.stages.reduce((sum, s) => sum + s.memory.totalBytes, 0) / 1e9 : null);

export function seedRows(): SeedRow[] {
  return SEED_CONFIGURATIONS.map((config) => {
    const request = (context: number, parallel: number): PlanRequestInput => ({
      model: 'Llama-3.1-70B',
      quant: config.quant,
      context,
      parallel,
      devices: config.devices.map((d) => ({ ...d })),
      whatIf: false,
      nodes: [{ name: config.devices[0].node, nicGbps: 10 }, ...config.devices.slice(1).map((d) => ({ name: d.node, nicGbps: 10 }))],
    });
    const single = planShards(request(8192, 1));
    const batched = planShards(request(2048, 32));
    const notes: string[] = [];
    if (!single.feasible) notes.push(`does not hold: ${single.reason} (8K context)`);
    if (single.feasible) {
      const used = memoryUsedGB(single) ?? 0;
      if (config.label.includes('TP=4')) notes.push('seed measures tensor parallelism; a pipeline runs one token through the stages in turn, so single-stream speed is one GPU-set pass');
      if (batched.feasible) {
        const ratio = config.seed.tokensPerSecond / batched.estimates.aggregateTokensPerSecond;
        notes.push(ratio > 1.5 ? `seed's ${config.seed.tokensPerSecond} tok/s is ${ratio.toFixed(1)}× our batched estimate: it implies much larger batches than 32` : `seed's throughput is within ${ratio.toFixed(1)}× of our batched estimate`);
      } else {
        notes.push(`32 sequences × 2K do not fit: ${batched.reason}`);
      }
      const ttftRatio = single.estimates.ttftMs / config.seed.ttftMs;
      if (ttftRatio > 2)
        notes.push(`seed's ${config.seed.ttftMs} ms TTFT is ${ttftRatio.toFixed(0)}× below ours: a 512-token 70B prefill is ${((2 * 70.6e9 * 512) / 1e12).toFixed(0)} TFLOP, which these GPUs cannot do in ${config.seed.ttftMs} ms at realistic efficiency`);
      if (Math.abs(used - config.seed.memoryGB) / config.seed.memoryGB > 0.2) notes.push(`seed's ${config.seed.memoryGB} GB "memory used" reads as installed VRAM; the plan fills ${used.toFixed(0)} GB`);
    }
    return { label: config.label, quant: config.quant, seed: config.seed, single, batched, notes };
  });
}

/** The rows as an aligned text table, seed figures beside ours. */
export function formatSeedTable(rows: readonly SeedRow[]): string {
  const head = ['configuration', 'quant', 'seed tok/s', 'seed TTFT', 'seed mem', 'fits 8K', 'ours tok/s x1', '1-stream tok/s', 'TTFT', 'mem used', 'ours tok/s x32@2K'];
  const cells = rows.map((r) => {
    const s = r.single;
    const b = r.batched;
    return [
      r.label,
      r.quant,
      String(r.seed.tokensPerSecond),
      `${r.seed.ttftMs} ms`,
      `${r.seed.memoryGB} GB`,
      s.feasible ? 'yes' : 'NO',
      s.feasible ? s.estimates.aggregateTokensPerSecond.toFixed(1) : '-',
      s.feasible ? s.estimates.singleStreamTokensPerSecond.toFixed(1) : '-',
      s.feasible ? `${s.estimates.ttftMs.toFixed(0)} ms` : '-',
      s.feasible ? `${(memoryUsedGB(s) ?? 0).toFixed(0)} GB` : '-',
      b.feasible ? b.estimates.aggregateTokensPerSecond.toFixed(0) : '-',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)];
  for (const r of rows) for (const n of r.notes) out.push(`  ${r.label}: ${n}`);
  return out.join('\n');
}
