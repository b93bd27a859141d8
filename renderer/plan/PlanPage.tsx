import { formatBytes } from '../../shared/units.js';
import { useState } from 'react';
import type { PlanResult } from '../../shared/domain/planner.js';
import type { CallError } from '../api/client.js';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import type { RemoteNode } from '../../shared/domain/discovery.js';
import { PlanForm, toPlanInput, type NodeChoice, type NodeGgufChoice, type PlanFormValue } from './PlanForm.js';
import { PlanResultView } from './PlanResultView.js';
import { LaunchDialog } from '../deploy/LaunchDialog.js';
import { SavedPlans } from '../deploy/SavedPlans.js';

export function PlanPage() {
  const client = useClient();
  const [catalog] = useCall('planner.catalog', {});
  const [site] = useCall('discovery.nodes', {});
  const siteNodes = site.status === 'ok' ? site.data : [];
  const nodeFiles = siteNodes.flatMap(nodeGgufFiles);
  const [result, setResult] = useState<{ plan: PlanResult; planId: string | null; whatIf: boolean } | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);
  const [launching, setLaunching] = useState<string | null>(null);
  const plan = async (value: PlanFormValue, save: boolean) => {
    setBusy(true);
    setError(null);
    try {
      setResult({ ...(await client.call('planner.plan', toPlanInput(value, nodeFiles, save))), whatIf: value.gpus.length > 0 });
    } catch (caught) {
      setError(asCallError(caught));
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="plan-page">
      <h1>Plan</h1>
      {catalog.status === 'loading' && <p className="muted">loading the catalogs…</p>}
      {catalog.status === 'error' && <ErrorNote error={catalog.error} />}
      {catalog.status === 'ok' && <PlanForm catalog={catalog.data} nodeFiles={nodeFiles} nodeChoices={siteNodes.map(nodeChoice)} busy={busy} onPlan={plan} />}
      {error && <ErrorNote error={error} />}
      {result?.whatIf && (
        <p className="warn" data-testid="plan-what-if-note">
          This plan includes hypothetical catalog GPUs (what-if): it sizes hardware the site does not have, and cannot be launched.
        </p>
      )}
      {result?.planId && !result.whatIf && (
        <p>
          <button type="button" onClick={() => setLaunching(result.planId)} data-testid="plan-launch">
            Launch {result.planId}…
          </button>
        </p>
      )}
      {result && <PlanResultView plan={result.plan} planId={result.planId} />}
      <SavedPlans savedId={result?.planId ?? null} onLaunch={setLaunching} />
      {launching && <LaunchDialog planId={launching} onClose={() => setLaunching(null)} />}
    </div>
  );
}

function nodeGgufFiles(node: RemoteNode): NodeGgufChoice[] {
  return node.inventory.modelFiles.filter((f) => f.format === 'gguf').map((f) => ({ node: node.name, path: f.path, sizeBytes: f.sizeBytes }));
}

function nodeChoice(node: RemoteNode): NodeChoice {
  const gpus = node.inventory.gpus;
  const summary = gpus.length > 0 ? `${gpus.length}× ${gpus[0]?.name ?? 'GPU'}` : `CPU, ${node.inventory.memory.totalBytes ? formatBytes(node.inventory.memory.totalBytes) : 'unknown'} RAM`;
  return { name: node.name, summary };
}
