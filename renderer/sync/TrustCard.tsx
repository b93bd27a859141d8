import { useState } from 'react';
import type { Role } from '../../shared/domain/identity.js';
import type { TrustedPeer } from '../../shared/domain/sync.js';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { TrustAddForm } from './TrustAddForm.js';
import { TrustExport } from './TrustExport.js';

/**
 * The trusted peers with their fingerprints, adding one (read, then confirm), removing one (confirmed), and
 * this site's own trust file. `role`: the first visit asks for HQ's file; `withExport`: the Sync page shows it.
 */
export function TrustCard({ role, withExport = true, onChanged }: { role?: Role; withExport?: boolean; onChanged?: () => void }) {
  const [peers, reload] = useCall('sync.trustList', {});
  const changed = () => {
    reload();
    onChanged?.();
  };
  return (
    <section className="card stack trust-card" data-testid="trust-card">
      <h2>Trusted peers</h2>
      {peers.status === 'error' && <ErrorNote error={peers.error} />}
      {peers.status === 'ok' && peers.data.length === 0 && <p className="muted">No trusted peers yet: add HQ's trust file below and confirm its fingerprint.</p>}
      {peers.status === 'ok' && peers.data.length > 0 && <PeerTable peers={peers.data} onRemoved={changed} />}
      <h3>Add a peer</h3>
      <TrustAddForm role={role} onAdded={changed} />
      {withExport && <TrustExport />}
    </section>
  );
}

function PeerTable({ peers, onRemoved }: { peers: TrustedPeer[]; onRemoved: () => void }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Peer</th>
          <th scope="col">Role</th>
          <th scope="col">Signing key</th>
          <th scope="col">Trusted since</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {peers.map((p) => (
          <tr key={p.siteId} data-testid="trust-row" data-site={p.siteId}>
            <td>{p.siteId}</td>
            <td>{p.role === 'hq' ? 'HQ' : 'site'}</td>
            <td className="mono trust-fingerprint">
              {p.fingerprint}
              {p.retiredFingerprints.length ? <span className="muted"> ({p.retiredFingerprints.length} retired)</span> : null}
            </td>
            <td>{new Date(p.addedAt).toLocaleString()}</td>
            <td>
              <RemovePeer peer={p} onRemoved={onRemoved} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RemovePeer({ peer, onRemoved }: { peer: TrustedPeer; onRemoved: () => void }) {
  const client = useClient();
  const [error, setError] = useState<CallError | null>(null);
  const remove = () => {
    setError(null);
    client.call('sync.trustRemove', { site: peer.siteId }).then(onRemoved, (e: unknown) => setError(asCallError(e)));
  };
  return (
    <>
      <ConfirmButton testId="trust-remove" label="Remove…" question={`Stop trusting ${peer.siteId}? Its bundles are refused until its trust file is added again.`} yesLabel="Yes, remove" onConfirm={remove} />
      {error && <ErrorNote error={error} />}
    </>
  );
}
