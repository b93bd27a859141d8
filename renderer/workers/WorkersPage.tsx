import { useCallback, useEffect } from 'react';
import type { Deployment } from '../../shared/domain/workers.js';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { DeploymentCard } from './DeploymentCard.js';

const REFRESH_MS = 2_000;

/** Deployments with their stage bars, live worker states, restart counts, log tails, a test prompt, Stop and Restart. */
export function WorkersPage() {
  const [deployments, reload] = useCall('workers.list', { all: false });
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  useEvent(
    'workers.changed',
    useCallback(() => reload(), [reload]),
  );
  return (
    <div className="workers-page" data-testid="page-workers-live">
      <h1>Workers</h1>
      {deployments.status === 'error' && <ErrorNote error={deployments.error} />}
      {deployments.status === 'ok' && deployments.data.length === 0 && (
        <p className="muted" data-testid="workers-empty">
          No deployments yet. <a href="#/plan">Plan a model on the Plan page</a> and launch it from there, or launch one of its saved plans.
        </p>
      )}
      {deployments.status === 'ok' && deployments.data.map((d: Deployment) => <DeploymentCard key={d.id} deployment={d} onChanged={reload} />)}
    </div>
  );
}
