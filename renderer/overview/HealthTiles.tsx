import { useState } from 'react';
import type { Dashboard } from '../../shared/domain/dashboard.js';
import type { Alert } from '../../shared/domain/telemetry.js';
import { asCallError, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { Meter } from '../components/Meter.js';
import { EmptyState, Tile } from './Tile.js';

const PAGE_LABEL: Record<string, string> = { sync: 'Sync', nodes: 'Nodes', plan: 'Plan', workers: 'Workers', router: 'Router', overview: 'Overview', monitoring: 'Monitoring' };

/** Hours since the last bundle exchange against the offline limit, the health level and what to do. */
export function OfflineTile({ offline }: { offline: Dashboard['offline'] }) {
  const page = offline.page ?? 'monitoring';
  return (
    <Tile title="Hours offline" testId="dashboard-offline" page={page} pageLabel={PAGE_LABEL[page] ?? page} level={offline.level}>
      <p className="dashboard-figure">
        <span className={`monitoring-level monitoring-level-${offline.level}`} data-testid="dashboard-offline-level">
          {offline.level}
        </span>{' '}
        <span data-testid="dashboard-offline-hours">{offline.hours === null ? 'no bundle exchanged yet' : `${offline.hours.toFixed(1)} h of ${offline.limitHours} h`}</span>
      </p>
      {offline.hours !== null && <Meter used={offline.hours} total={offline.limitHours} label={`limit ${offline.limitHours} h`} />}
      <p className="small">{offline.summary}</p>
      <p className="dashboard-action" data-testid="dashboard-offline-action">
        {offline.action}
      </p>
    </Tile>
  );
}

/** Open alerts, each acknowledgeable; an acknowledged one stays, marked, until it clears. */
export function AlertsTile({ alerts, onChanged }: { alerts: readonly Alert[]; onChanged: () => void }) {
  return (
    <Tile title="Open alerts" testId="dashboard-alerts" page="monitoring" pageLabel="Monitoring">
      {alerts.length === 0 ? (
        <EmptyState testId="dashboard-alerts-empty">No open alerts: nothing needs you now.</EmptyState>
      ) : (
        <ul className="dashboard-list">
          {alerts.map((a) => (
            <AlertRow key={a.key} alert={a} onChanged={onChanged} />
          ))}
        </ul>
      )}
    </Tile>
  );
}

function AlertRow({ alert, onChanged }: { alert: Alert; onChanged: () => void }) {
  const client = useClient();
  const [error, setError] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);
  const acknowledge = () => {
    setBusy(true);
    setError(null);
    client
      .call('telemetry.acknowledge', { key: alert.key })
      .then(onChanged, (e: unknown) => setError(asCallError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <li data-testid="dashboard-alert" data-key={alert.key} data-acknowledged={alert.acknowledgedAt !== null}>
      <span className={`monitoring-level monitoring-level-${alert.severity}`}>{alert.severity}</span> {alert.message}
      <div className="small muted">
        since {new Date(alert.raisedAt).toLocaleString()}
        {alert.acknowledgedAt !== null && <span data-testid="dashboard-alert-acknowledged"> · acknowledged {new Date(alert.acknowledgedAt).toLocaleString()}</span>}
      </div>
      {alert.acknowledgedAt === null && (
        <button type="button" className="secondary" disabled={busy} onClick={acknowledge} data-testid="dashboard-alert-ack">
          Acknowledge
        </button>
      )}
      {error && <ErrorNote error={error} />}
    </li>
  );
}
