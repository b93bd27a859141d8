import { useState } from 'react';
import type { CallOutput } from '../../shared/contract/index.js';
import type { RemoteNode } from '../../shared/domain/discovery.js';
import type { SetupState } from '../../shared/domain/setup.js';
import { asCallError, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { HostKey } from '../nodes/NodesTable.js';

type Accepted = CallOutput<'discovery.acceptHostKey'>;

/**
 * Every host key the site pinned: the ones first seen, in full, and the changed ones with the pinned and the
 * presented fingerprints side by side, each accepted only after a second step, then probed again.
 */
export function HostKeyReview({ nodes, onChanged, onReviewed }: { nodes: RemoteNode[]; onChanged: () => void; onReviewed: (state: SetupState) => void }) {
  const client = useClient();
  const [accepted, setAccepted] = useState<Accepted[]>([]);
  const [error, setError] = useState<CallError | null>(null);
  const changed = nodes.filter((n) => n.hostKey?.offered);
  const onAccepted = (result: Accepted) => {
    setAccepted((list) => [result, ...list.filter((a) => a.node !== result.node)]);
    onChanged();
  };
  const confirm = () => {
    setError(null);
    client.call('setup.confirm', { step: 'host-keys' }).then(onReviewed, (e: unknown) => setError(asCallError(e)));
  };
  return (
    <section className="card stack setup-review" data-testid="hostkey-review">
      <h2>Host keys</h2>
      <p>Each host's key was pinned the first time Outpost reached it; from then on a different key is refused. Compare a changed key with the host's admin before you accept it: an impostor presents a different key too.</p>
      {changed.length > 0 && (
        <p className="warn">
          {changed.length} host{changed.length === 1 ? '' : 's'} presented a changed key.
        </p>
      )}
      {accepted.map((a) => (
        <p key={a.node} data-testid="review-reprobe" data-node={a.node}>
          {a.node} now pinned to <span className="mono">{a.fingerprint}</span>;{' '}
          {a.reprobe === null ? 'it was never inventoried: scan it.' : a.reprobe.outcome === 'inventoried' ? 'probed again: inventory stored.' : `probed again: ${a.reprobe.outcome} — ${a.reprobe.reason ?? ''}`}
        </p>
      ))}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Address</th>
            <th scope="col">Pinned key</th>
            <th scope="col">Pinned since</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.name} data-testid="review-row" data-node={node.name}>
              <td>{node.name}</td>
              <td>
                {node.address}:{node.port}
              </td>
              <td>
                {node.hostKey?.offered ? (
                  <HostKey node={node} onAccepted={onAccepted} />
                ) : node.hostKey ? (
                  <span className="mono" data-testid="review-fingerprint">
                    {node.hostKey.keyType} {node.hostKey.fingerprint}
                  </span>
                ) : (
                  <span className="muted">not pinned</span>
                )}
              </td>
              <td>{node.hostKey ? new Date(node.hostKey.pinnedAt).toLocaleString() : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div>
        <button type="button" onClick={confirm} data-testid="review-confirm">
          The host keys are right
        </button>
      </div>
      {error && <ErrorNote error={error} />}
    </section>
  );
}
