import { useEffect, useState } from 'react';
import type { CallError } from '../api/client.js';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ErrorNote } from '../components/ErrorNote.js';

/** Stored plans, newest first: each launchable, and deletable after a confirmation (refused while a deployment uses it). */
export function SavedPlans({ savedId, onLaunch }: { savedId: string | null; onLaunch: (planId: string) => void }) {
  const client = useClient();
  const [plans, reload] = useCall('planner.list', {});
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  useEffect(reload, [reload, savedId]);
  const remove = async (id: string) => {
    setDeleting(null);
    setError(null);
    try {
      await client.call('planner.delete', { id });
    } catch (caught) {
      setError(asCallError(caught));
    }
    reload();
  };
  return (
    <section className="card" data-testid="saved-plans">
      <h2>Saved plans</h2>
      {error && <ErrorNote error={error} />}
      {plans.status === 'error' && <ErrorNote error={plans.error} />}
      {plans.status === 'ok' && plans.data.length === 0 && <p className="muted">No saved plans yet: plan above and choose “Save plan”.</p>}
      {plans.status === 'ok' && plans.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Model</th>
              <th scope="col">Quantization</th>
              <th scope="col">Objective</th>
              <th scope="col">Stages</th>
              <th scope="col">Aggregate</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {plans.data.map((p) => (
              <tr key={p.id} data-testid={`saved-plan-${p.id}`}>
                <td className="mono">{p.id}</td>
                <td>{p.model}</td>
                <td className="mono">{p.quant}</td>
                <td>{p.objective}</td>
                <td>{p.stages}</td>
                <td>{p.aggregateTokensPerSecond.toFixed(1)} tok/s</td>
                <td>{new Date(p.createdAt).toLocaleString()}</td>
                <td>
                  {deleting !== p.id && (
                    <>
                      <button type="button" onClick={() => onLaunch(p.id)} data-testid={`saved-plan-launch-${p.id}`}>
                        Launch…
                      </button>{' '}
                    </>
                  )}
                  <ConfirmButton
                    testId={`saved-plan-delete-${p.id}`}
                    confirmTestId={`saved-plan-confirm-${p.id}`}
                    yesTestId={`saved-plan-delete-yes-${p.id}`}
                    label="Delete…"
                    question={`Delete plan ${p.id}? It cannot be launched again.`}
                    yesLabel="Yes, delete"
                    noLabel="Keep it"
                    onConfirm={() => void remove(p.id)}
                    onOpenChange={(open) => setDeleting(open ? p.id : null)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
