import { useState, type FormEvent } from 'react';
import type { Catalog } from '../../shared/domain/planner.js';
import { useCall } from '../api/hooks.js';

/** A GGUF file a scan found on a node: planning reads its header over SSH. */
export interface NodeGgufChoice {
  node: string;
  path: string;
  sizeBytes: number;
}

/** A discovered node offered as hardware, with a one-line summary of what it has. */
export interface NodeChoice {
  name: string;
  summary: string;
}

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
  /** What-if rows: catalog GPUs that are not on this site (sizing a purchase); empty unless asked for. */
  gpus: GpuRow[];
  /** Discovered nodes whose GPUs (or CPU and RAM) the plan may use. */
  nodes: string[];
}

const GGUF = '__gguf__';
/** Select values of HQ releases: `release:<name>@<version>`. */
const RELEASE = 'release:';

/** `#/plan?model=outpost-tiny@2` (the Models page's "Plan this model"): a release, or a path to a GGUF file here. */
function modelFromHash(): { model: string; ggufPath: string } | null {
  const wanted = new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('model');
  if (!wanted) return null;
  return wanted.startsWith('/') ? { model: GGUF, ggufPath: wanted } : { model: `${RELEASE}${wanted}`, ggufPath: '' };
}
/** Select values of node files: `node-file:<index into the choices>`. */
const NODE_FILE = 'node-file:';
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const nodeFileOf = (value: PlanFormValue, files: readonly NodeGgufChoice[]): NodeGgufChoice | undefined => (value.model.startsWith(NODE_FILE) ? files[Number(value.model.slice(NODE_FILE.length))] : undefined);

export function PlanForm({ catalog, nodeFiles, nodeChoices, busy, onPlan }: { catalog: Catalog; nodeFiles: readonly NodeGgufChoice[]; nodeChoices: readonly NodeChoice[]; busy: boolean; onPlan: (value: PlanFormValue, save: boolean) => void }) {
  const [library] = useCall('planner.models', {});
  const releases = library.status === 'ok' ? library.data.filter((m) => m.source === 'release' && m.ref !== null && m.problem === null) : [];
  const [value, setValue] = useState<PlanFormValue>({
    model: catalog.models.find((m) => m.name === 'Llama-3.1-70B')?.name ?? catalog.models[0]?.name ?? '',
    ggufPath: '',
    ...modelFromHash(),
    quant: 'Q4_K_M',
    context: 8192,
    parallel: 1,
    objective: 'throughput',
    gpus: [],
    nodes: [],
  });
  const set = <K extends keyof PlanFormValue>(key: K, v: PlanFormValue[K]) => setValue((old) => ({ ...old, [key]: v }));
  const setRow = (index: number, row: Partial<GpuRow>) =>
    set(
      'gpus',
      value.gpus.map((r, i) => (i === index ? { ...r, ...row } : r)),
    );
  const submit = (save: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    onPlan(value, save);
  };
  const isGguf = value.model === GGUF;
  // A node file carries its own quantization: the quant picker would only contradict it.
  const hasOwnQuant = isGguf || value.model.startsWith(RELEASE) || nodeFileOf(value, nodeFiles) !== undefined;
  const toggleNode = (name: string, on: boolean) => set('nodes', on ? [...value.nodes, name] : value.nodes.filter((n) => n !== name));
  return (
    <form className="card plan-form" onSubmit={submit(false)}>
      <div className="plan-form-grid">
        <label className="plan-model-label">
          Model
          <select value={value.model} onChange={(e) => set('model', e.target.value)} data-testid="plan-model">
            {catalog.models.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name} ({m.layers} layers)
              </option>
            ))}
            {releases.length > 0 && (
              <optgroup label="HQ releases (model library)">
                {releases.map((m) => (
                  <option key={m.ref} value={`${RELEASE}${m.ref}`}>
                    {m.name} version {m.version}
                    {m.newest ? ' (newest)' : ''} — {m.quant}, {gib(m.sizeBytes)}
                  </option>
                ))}
              </optgroup>
            )}
            {nodeFiles.length > 0 && (
              <optgroup label="GGUF files on discovered nodes">
                {nodeFiles.map((f, i) => (
                  <option key={`${f.node}:${f.path}`} value={`${NODE_FILE}${i}`}>
                    on {f.node}: {f.path.replace(/\n/g, '⏎')} ({gib(f.sizeBytes)})
                  </option>
                ))}
              </optgroup>
            )}
            <option value={GGUF}>GGUF file on this workstation…</option>
          </select>
        </label>
        {isGguf ? (
          <label>
            GGUF path
            <input value={value.ggufPath} onChange={(e) => set('ggufPath', e.target.value)} placeholder="/models/llama-3.1-8b-q4_k_m.gguf" data-testid="plan-gguf" />
          </label>
        ) : hasOwnQuant ? (
          <p className="muted plan-node-file-note" data-testid="plan-node-file-note">
            {value.model.startsWith(RELEASE) ? "The release's own quantization and shape are read from its GGUF header (never its weights)." : "The file's own quantization and shape are read from its GGUF header on the node (never its weights)."}
          </p>
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
      {nodeChoices.length > 0 && (
        <>
          <h2 className="plan-subhead">Discovered nodes</h2>
          <div className="plan-nodes" data-testid="plan-nodes">
            {nodeChoices.map((n) => (
              <label key={n.name} className="plan-node-choice">
                <input type="checkbox" checked={value.nodes.includes(n.name)} onChange={(e) => toggleNode(n.name, e.target.checked)} data-testid={`plan-node-${n.name}`} />
                {n.name} <span className="muted">{n.summary}</span>
              </label>
            ))}
          </div>
        </>
      )}
      {nodeChoices.length === 0 && <p className="muted">No nodes yet: scan the site on the Nodes page, then tick the nodes to plan on.</p>}
      <h2 className="plan-subhead">What if: catalog GPUs</h2>
      <p className="muted small" data-testid="plan-what-if-help">
        Hypothetical hardware that is not on this site, for sizing a purchase. They are planned together with the ticked nodes; a plan that uses them cannot be launched.
      </p>
      {value.gpus.map((row, index) => (
        <div className="plan-gpu-row" key={index}>
          <select value={row.gpu} onChange={(e) => setRow(index, { gpu: e.target.value })} data-testid={`plan-gpu-${index}`} aria-label="GPU">
            {catalog.gpus.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name} ({(g.memoryBytes / 2 ** 30).toFixed(0)} GiB)
              </option>
            ))}
          </select>
          <input type="number" min={1} max={256} value={row.count} onChange={(e) => setRow(index, { count: Number(e.target.value) })} aria-label="count" />
          <input value={row.node} onChange={(e) => setRow(index, { node: e.target.value })} placeholder="server name" aria-label="server" />
          <button
            type="button"
            className="secondary"
            onClick={() =>
              set(
                'gpus',
                value.gpus.filter((_, i) => i !== index),
              )
            }
            aria-label="remove GPU"
          >
            ✕
          </button>
        </div>
      ))}
      <div className="plan-actions">
        <button type="button" className="secondary" onClick={() => set('gpus', [...value.gpus, { gpu: 'T4', count: 1, node: `what-if-${value.gpus.length + 1}` }])} data-testid="plan-add-what-if">
          Add a what-if GPU
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

export function toPlanInput(value: PlanFormValue, nodeFiles: readonly NodeGgufChoice[], save: boolean) {
  const nodeFile = nodeFileOf(value, nodeFiles);
  return {
    ...(nodeFile ? { nodeModel: { node: nodeFile.node, path: nodeFile.path } } : { model: value.model === GGUF ? value.ggufPath.trim() : value.model.startsWith(RELEASE) ? value.model.slice(RELEASE.length) : value.model }),
    ...(value.model === GGUF || value.model.startsWith(RELEASE) || nodeFile ? {} : { quant: value.quant }),
    inventoryNodes: value.nodes,
    context: value.context,
    parallel: value.parallel,
    objective: value.objective,
    devices: value.gpus.map((g) => (g.node.trim() ? { gpu: g.gpu, count: g.count, node: g.node.trim() } : { gpu: g.gpu, count: g.count })),
    save,
  };
}
