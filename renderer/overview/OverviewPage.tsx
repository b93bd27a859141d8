import { useCallback } from 'react';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { usePolling } from '../monitoring/useSeries.js';
import { AlertsTile, OfflineTile } from './HealthTiles.js';
import { IdentityCard } from './IdentityCard.js';
import { DeploymentsTile, GpuTile, NodesTile, RouterTile } from './SiteTiles.js';

/** The home page: the site at a glance, each tile linking to the page that acts on it. */
export function OverviewPage() {
  const [identity, reloadIdentity] = useCall('identity.show', {});
  const [dashboard, reload] = useCall('telemetry.dashboard', {});
  usePolling(reload);
  useEvent(
    'telemetry.alert',
    useCallback(() => reload(), [reload]),
  );
  useEvent(
    'identity.changed',
    useCallback(() => {
      reloadIdentity();
      reload();
    }, [reloadIdentity, reload]),
  );
  return (
    <div className="overview">
      <h1>
        Site dashboard{' '}
        {dashboard.status === 'ok' && (
          <span className={`monitoring-level monitoring-level-${dashboard.data.level}`} data-testid="dashboard-level">
            {dashboard.data.level}
          </span>
        )}
      </h1>
      {dashboard.status === 'loading' && <p className="muted">loading…</p>}
      {dashboard.status === 'error' && <ErrorNote error={dashboard.error} />}
      {dashboard.status === 'ok' && (
        <div className="grid dashboard-grid">
          <OfflineTile offline={dashboard.data.offline} />
          <AlertsTile alerts={dashboard.data.alerts} onChanged={reload} />
          <NodesTile nodes={dashboard.data.nodes} />
          <DeploymentsTile deployments={dashboard.data.deployments} />
          <RouterTile router={dashboard.data.router} />
          <GpuTile gpus={dashboard.data.gpus} />
        </div>
      )}
      <IdentityCard identity={identity} onCreated={reloadIdentity} />
    </div>
  );
}
