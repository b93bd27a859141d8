import { useCallback, useState, type KeyboardEvent } from 'react';
import type { Deployment, LaunchProgress } from '../../shared/domain/workers.js';
import type { CallError } from '../api/client.js';
import { asCallError, useClient, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';

type Move = { kind: 'rollout'; to: string } | { kind: 'rollback'; to: string };

const question = (deployment: Deployment, move: Move): string =>
  move.kind === 'rollout'
    ? `Launch version ${move.to} beside version ${deployment.modelVersion ?? '?'} on the same nodes, move the router's ${deployment.model} to it once its test prompt passes, then drain and stop version ${deployment.modelVersion ?? '?'}? Its file is kept for a rollback.`
    : `Launch version ${move.to} again, move the router's ${deployment.model} back to it once its test prompt passes, then drain and stop version ${deployment.modelVersion ?? '?'}?`;

const newDeploymentId = (): string => `dep-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/**
 * "Version 2 available — Roll out" and, after a rollout, "Roll back to version 1": each asks first (Enter confirms,
 * Escape cancels), shows the new deployment's launch phases, and can be cancelled until the traffic moves.
 */
export function RolloutControls({ deployment, onChanged }: { deployment: Deployment; onChanged: () => void }) {
  const client = useClient();
  const rollout = deployment.rollout;
  const [confirming, setConfirming] = useState<Move | null>(null);
  const [running, setRunning] = useState<{ move: Move; id: string; progress: LaunchProgress | null; cancelling: boolean } | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  useEvent(
    'workers.launchProgress',
    useCallback((p: LaunchProgress) => setRunning((r) => (r && p.deploymentId === r.id ? { ...r, progress: p } : r)), []),
  );
  if (!rollout) return null;

  const start = (move: Move): void => {
    const id = newDeploymentId();
    setConfirming(null);
    setError(null);
    setRunning({ move, id, progress: null, cancelling: false });
    const call = move.kind === 'rollout' ? client.call('workers.rollout', { deployment: deployment.id, to: move.to, deploymentId: id }) : client.call('workers.rollback', { deployment: deployment.id, deploymentId: id });
    call
      .then(() => onChanged())
      .catch((e: unknown) => setError(asCallError(e)))
      .finally(() => setRunning(null));
  };
  // Until the traffic moves, stopping the new deployment cancels its launch; the old one never stopped serving.
  const cancel = (): void => {
    if (!running) return;
    setRunning({ ...running, cancelling: true });
    void client.call('workers.stop', { deployment: running.id }).catch((e: unknown) => setError(asCallError(e)));
  };
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') setConfirming(null);
  };
  const switching = running?.progress?.phase === 'switch';
  return (
    <div className="workers-rollout" data-testid="rollout-controls">
      {running ? (
        <p className="small" data-testid="rollout-progress" role="status">
          {running.move.kind === 'rollout' ? 'Rolling out' : 'Rolling back'} to version {running.move.to} as <span className="mono">{running.id}</span>: {running.progress ? `${running.progress.phase} — ${running.progress.message}` : 'starting'}
          {running.progress?.fraction != null && running.progress.fraction < 1 ? ` (${Math.round(running.progress.fraction * 100)}%)` : ''}{' '}
          {!switching && (
            <button type="button" className="secondary" onClick={cancel} disabled={running.cancelling} data-testid="rollout-cancel">
              {running.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
        </p>
      ) : confirming ? (
        <div className="workers-confirm" data-testid="rollout-confirm" onKeyDown={onKey}>
          <p className="small">{question(deployment, confirming)}</p>
          <button className="danger" autoFocus onClick={() => start(confirming)} data-testid={`${confirming.kind}-confirm-yes`}>
            Yes, {confirming.kind === 'rollout' ? 'roll out' : 'roll back'} to version {confirming.to}
          </button>{' '}
          <button onClick={() => setConfirming(null)} data-testid="rollout-confirm-cancel">
            Cancel
          </button>
        </div>
      ) : (
        <>
          {rollout.availableVersion && (
            <p className="small" data-testid="rollout-offer">
              Version {rollout.availableVersion} available{' '}
              <button onClick={() => setConfirming({ kind: 'rollout', to: rollout.availableVersion as string })} data-testid="rollout-start">
                Roll out
              </button>
            </p>
          )}
          {rollout.rollbackTo && (
            <p className="small">
              <button className="secondary" onClick={() => setConfirming({ kind: 'rollback', to: (rollout.rollbackTo as { version: string }).version })} data-testid="rollback-start">
                Roll back to version {rollout.rollbackTo.version}
              </button>
            </p>
          )}
        </>
      )}
      {rollout.detail && !running && (
        <p className="small" data-testid="rollout-detail">
          {rollout.detail}
        </p>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}
