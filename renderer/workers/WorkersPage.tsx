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
        <p className="muted">
          no deployments — launch a stored plan with <span className="mono">outpost launch &lt;plan-id&gt;</span>
        </p>
      )}
      {deployments.status === 'ok' && deployments.data.map((d: Deployment) => <DeploymentCard key={d.id} deployment={d} onChanged={reload} />)}
    </div>
  );
}
