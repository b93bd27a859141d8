import { useCallback } from 'react';
import { useCall, useEvent } from '../api/hooks.js';
import { useWorkstation } from './useWorkstation.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { IdentityCard } from './IdentityCard.js';
import { WorkstationCard } from './WorkstationCard.js';

export function OverviewPage() {
  const [identity, reloadIdentity] = useCall('identity.show', {});
  const inventory = useWorkstation();
  const [journal, reloadJournal] = useCall('system.journal', { limit: 8 });
  useEvent(
    'identity.changed',
    useCallback(() => {
      reloadIdentity();
      reloadJournal();
    }, [reloadIdentity, reloadJournal]),
  );
  return (
    <div className="overview">
      <h1>Overview</h1>
      <div className="grid">
        <IdentityCard identity={identity} onCreated={reloadIdentity} />
        <WorkstationCard inventory={inventory.state} onRefresh={inventory.refresh} />
      </div>
      <section className="card" data-testid="journal-card">
        <h2>Recent operations</h2>
        {journal.status === 'error' && <ErrorNote error={journal.error} />}
        {journal.status === 'ok' && journal.data.length === 0 && <p className="muted">nothing has been done yet</p>}
        {journal.status === 'ok' && journal.data.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {journal.data.map((entry) => (
                <tr key={entry.id}>
                  <td>{new Date(entry.at).toLocaleString()}</td>
                  <td>
                    {entry.user} via {entry.actor}
                  </td>
                  <td className="mono">{entry.action}</td>
                  <td className={entry.outcome === 'ok' ? 'ok' : 'warn'}>{entry.outcome === 'ok' ? 'ok' : `${entry.errorCode}: ${entry.detail ?? ''}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
