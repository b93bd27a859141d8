import { formatBytes } from '../../shared/units.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { ExportCard } from './ExportCard.js';
import { ImportCard } from './ImportCard.js';

/** Sneakernet sync: trusted peers, bundle history, export and import. */
export function SyncPage() {
  const [peers, reloadPeers] = useCall('sync.trustList', {});
  const [exchanges, reloadExchanges] = useCall('sync.exchanges', { limit: 20 });
  const reload = () => {
    reloadPeers();
    reloadExchanges();
  };
  return (
    <div className="sync-page">
      <h1>Sync</h1>
      <div className="grid">
        <ExportCard peers={peers.status === 'ok' ? peers.data : []} onDone={reload} />
        <ImportCard onDone={reload} />
      </div>
      <div className="grid">
        <section className="card" data-testid="trust-card">
          <h2>Trusted peers</h2>
          {peers.status === 'error' && <ErrorNote error={peers.error} />}
          {peers.status === 'ok' && peers.data.length === 0 && (
            <p className="muted">
              No trusted peers yet: run <code>outpost trust add &lt;file&gt;</code> with the peer's trust file.
            </p>
          )}
          {peers.status === 'ok' && peers.data.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Peer</th>
                  <th scope="col">Role</th>
                  <th scope="col">Signing key</th>
                </tr>
              </thead>
              <tbody>
                {peers.data.map((p) => (
                  <tr key={p.siteId} data-testid="trust-row">
                    <td>{p.siteId}</td>
                    <td>{p.role === 'hq' ? 'HQ' : 'site'}</td>
                    <td className="mono">
                      {p.fingerprint}
                      {p.retiredFingerprints.length ? <span className="muted"> ({p.retiredFingerprints.length} retired)</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
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
