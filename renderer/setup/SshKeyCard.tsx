import { useState } from 'react';
import type { SetupState } from '../../shared/domain/setup.js';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { CopyableText } from '../components/CopyableText.js';

/**
 * The site's SSH public key and the authorized_keys line for each host, as the service computes them.
 * `onConfirmed` (the first visit) adds the step's confirmation that the key is on the hosts.
 */
export function SshKeyCard({ onConfirmed }: { onConfirmed?: (state: SetupState) => void }) {
  const client = useClient();
  const [key] = useCall('identity.sshPublicKey', {});
  const [error, setError] = useState<CallError | null>(null);
  if (key.status === 'loading') return <p className="muted">loading…</p>;
  if (key.status === 'error' && key.error.code === 'PRECONDITION') {
    return (
      <p className="muted" data-testid="ssh-key-missing">
        No site identity yet, so no SSH key: <a href="#/setup">start the first visit</a>.
      </p>
    );
  }
  if (key.status === 'error') return <ErrorNote error={key.error} />;
  const confirm = () => {
    setError(null);
    client.call('setup.confirm', { step: 'ssh-key', fingerprint: key.data.fingerprint }).then(onConfirmed, (e: unknown) => setError(asCallError(e)));
  };
  return (
    <section className="card stack" data-testid="ssh-key-card">
      <h2>The site's SSH key</h2>
      <p>
        Outpost logs in to each host with this key. On every host, as the login you will scan with, append the line below to <code>~/.ssh/authorized_keys</code>. Its options keep the key to running commands, copying files and forwarding a worker's port (
        <code>{key.data.options}</code>); its comment, <code>{key.data.comment}</code>, tells the host's admin whose key it is.
      </p>
      <dl className="facts">
        <dt>Fingerprint</dt>
        <dd className="mono" data-testid="ssh-key-fingerprint">
          {key.data.fingerprint}
        </dd>
      </dl>
      <CopyableText block captioned text={key.data.authorizedKeysLine} label="authorized_keys line" testId="ssh-authorized-line" />
      <CopyableText block captioned text={key.data.publicKey} label="Public key only" testId="ssh-public-key" />
      {onConfirmed && (
        <button type="button" onClick={confirm} data-testid="ssh-key-confirm">
          The key is on the hosts
        </button>
      )}
      {error && <ErrorNote error={error} />}
    </section>
  );
}
