import { useState, type FormEvent } from 'react';
import type { Catalog } from '../../shared/domain/planner.js';

export interface GpuRow {
  gpu: string;
  count: number;
  node: string;
}

export interface PlanFormValue {
  model: string;
  ggufPath: string;
  quant: string;
  context: number;
  parallel: number;
  objective: 'throughput' | 'latency';
  gpus: GpuRow[];
}

const GGUF = '__gguf__';

export function PlanForm({ catalog, busy, onPlan }: { catalog: Catalog; busy: boolean; onPlan: (value: PlanFormValue, save: boolean) => void }) {
  const [value, setValue] = useState<PlanFormValue>({
    model: catalog.models.find((m) => m.name === 'Llama-3.1-70B')?.name ?? catalog.models[0]?.name ?? '',
    ggufPath: '',
    quant: 'Q4_K_M',
    context: 8192,
    parallel: 1,
    objective: 'throughput',
    gpus: [
      { gpu: 'A100-80GB', count: 1, node: 'srv-a100' },
      { gpu: 'L40S', count: 1, node: 'srv-l40s' },
      { gpu: 'T4', count: 1, node: 'srv-t4' },
    ],
  });
  const set = <K extends keyof PlanFormValue>(key: K, v: PlanFormValue[K]) => setValue((old) => ({ ...old, [key]: v }));
  const setRow = (index: number, row: Partial<GpuRow>) => set('gpus', value.gpus.map((r, i) => (i === index ? { ...r, ...row } : r)));
  const submit = (save: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    onPlan(value, save);
  };
  const isGguf = value.model === GGUF;
  return (
    <form className="card plan-form" onSubmit={submit(false)}>
      <div className="plan-form-grid">
        <label>
          Model
          <select value={value.model} onChange={(e) => set('model', e.target.value)} data-testid="plan-model">
            {catalog.models.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name} ({m.layers} layers)
              </option>
            ))}
            <option value={GGUF}>GGUF file on this workstation…</option>
          </select>
        </label>
        {isGguf ? (
          <label>
            GGUF path
            <input value={value.ggufPath} onChange={(e) => set('ggufPath', e.target.value)} placeholder="/models/llama-3.1-8b-q4_k_m.gguf" data-testid="plan-gguf" />
          </label>
        ) : (
          <label>
            Quantization
            <select value={value.quant} onChange={(e) => set('quant', e.target.value)} data-testid="plan-quant">
              {catalog.quantizations.map((q) => (
                <option key={q.name} value={q.name}>
                  {q.name} ({q.bitsPerWeight} bits/weight)
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Context
          <input type="number" min={1} value={value.context} onChange={(e) => set('context', Number(e.target.value))} data-testid="plan-context" />
        </label>
        <label>
          Parallel sequences
          <input type="number" min={1} value={value.parallel} onChange={(e) => set('parallel', Number(e.target.value))} data-testid="plan-parallel" />
        </label>
        <label>
          Objective
          <select value={value.objective} onChange={(e) => set('objective', e.target.value as PlanFormValue['objective'])}>
            <option value="throughput">throughput (aggregate tokens/s)</option>
            <option value="latency">latency (one stream)</option>
          </select>
        </label>
      </div>
      <h3 className="plan-subhead">GPUs</h3>
      {value.gpus.map((row, index) => (
        <div className="plan-gpu-row" key={index}>
          <select value={row.gpu} onChange={(e) => setRow(index, { gpu: e.target.value })} data-testid={`plan-gpu-${index}`}>
            {catalog.gpus.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({(g.memoryBytes / 2 ** 30).toFixed(0)} GiB)
              </option>
            ))}
          </select>
          <input type="number" min={1} max={256} value={row.count} onChange={(e) => setRow(index, { count: Number(e.target.value) })} aria-label="count" />
          <input value={row.node} onChange={(e) => setRow(index, { node: e.target.value })} placeholder="server name" aria-label="server" />
          <button type="button" className="secondary" onClick={() => set('gpus', value.gpus.filter((_, i) => i !== index))} aria-label="remove GPU">
            ✕
          </button>
        </div>
      ))}
      <div className="plan-actions">
        <button type="button" className="secondary" onClick={() => set('gpus', [...value.gpus, { gpu: 'T4', count: 1, node: `srv-${value.gpus.length + 1}` }])}>
          Add GPU
        </button>
        <span className="spacer" />
        <button type="submit" disabled={busy} data-testid="plan-run">
          {busy ? 'Planning…' : 'Plan'}
        </button>
        <button type="button" disabled={busy} onClick={submit(true)} data-testid="plan-save">
          Save plan
        </button>
      </div>
    </form>
  );
}

export function toPlanInput(value: PlanFormValue, save: boolean) {
  return {
    model: value.model === GGUF ? value.ggufPath.trim() : value.model,
    ...(value.model === GGUF ? {} : { quant: value.quant }),
    context: value.context,
    parallel: value.parallel,
    objective: value.objective,
    devices: value.gpus.map((g) => (g.node.trim() ? { gpu: g.gpu, count: g.count, node: g.node.trim() } : { gpu: g.gpu, count: g.count })),
    save,
  };
}
