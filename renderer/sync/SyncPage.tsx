import { formatBytes } from '../../shared/units.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { ExportCard } from './ExportCard.js';
import { DrivesCard } from './DrivesCard.js';
import { ImportCard } from './ImportCard.js';
import { TrustCard } from './TrustCard.js';
import { useDrives } from './useDrives.js';

/** Sneakernet sync: export to and import from removable drives (or typed directories), trusted peers, bundle history. */
export function SyncPage() {
  const [peers, reloadPeers] = useCall('sync.trustList', {});
  const [exchanges, reloadExchanges] = useCall('sync.exchanges', { limit: 20 });
  const [drives, reloadDrives] = useDrives();
  const mounted = drives.status === 'ok' ? drives.data : [];
  const reload = () => {
    reloadPeers();
    reloadExchanges();
    reloadDrives();
  };
  return (
    <div className="sync-page">
      <h1>Sync</h1>
      <div className="grid">
        <ExportCard peers={peers.status === 'ok' ? peers.data : []} drives={mounted} onDone={reload} />
        <ImportCard drives={mounted} onDone={reload} />
      </div>
      <DrivesCard drives={drives} />
      <div className="grid">
        <TrustCard onChanged={reloadPeers} />
        <section className="card" data-testid="exchanges-card">
          <h2>Bundle history</h2>
          {exchanges.status === 'error' && <ErrorNote error={exchanges.error} />}
          {exchanges.status === 'ok' && exchanges.data.length === 0 && <p className="muted">No bundle exchanged yet.</p>}
          {exchanges.status === 'ok' && exchanges.data.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Direction</th>
                  <th scope="col">Peer</th>
                  <th scope="col">Seq</th>
                  <th scope="col">Size</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {exchanges.data.map((e) => (
                  <tr key={e.id} data-testid="exchange-row">
                    <td>{new Date(e.at).toLocaleString()}</td>
                    <td>{e.direction}</td>
                    <td>{e.peer === '*' ? 'all sites' : e.peer}</td>
                    <td>{e.sequence ?? ''}</td>
                    <td>{e.bytes === null ? '' : formatBytes(e.bytes)}</td>
                    <td>
                      {e.outcome}
                      {e.summary ? <span className="muted small"> · {e.summary}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}
