import { useState, type FormEvent } from 'react';
import type { SiteIdentity } from '../../shared/domain/identity.js';
import { asCallError, useClient, type CallState } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';

/** The site's identity, or the form that creates it on a first visit. */
export function IdentityCard({ identity, onCreated }: { identity: CallState<SiteIdentity>; onCreated: () => void }) {
  return (
    <section className="card" data-testid="identity-card">
      <h2>Site identity</h2>
      {identity.status === 'loading' && <p className="muted">loading…</p>}
      {identity.status === 'error' && identity.error.code === 'PRECONDITION' && <CreateIdentity onCreated={onCreated} />}
      {identity.status === 'error' && identity.error.code !== 'PRECONDITION' && <ErrorNote error={identity.error} />}
      {identity.status === 'ok' && <IdentityFacts identity={identity.data} />}
    </section>
  );
}

function IdentityFacts({ identity }: { identity: SiteIdentity }) {
  const retired = identity.history.filter((k) => k.retiredAt !== null).length;
  return (
    <dl className="facts">
      <dt>Site id</dt>
      <dd data-testid="site-id">{identity.siteId}</dd>
      <dt>Role</dt>
      <dd>{identity.role === 'hq' ? 'headquarters' : 'site'}</dd>
      <dt>Signing key</dt>
      <dd className="mono" data-testid="signing-fingerprint">
        {identity.signingKey.fingerprint}
      </dd>
      <dt>SSH key</dt>
      <dd className="mono">{identity.sshKey.fingerprint}</dd>
      <dt>Created</dt>
      <dd>{new Date(identity.createdAt).toLocaleString()}</dd>
      <dt>Key history</dt>
      <dd>{retired === 0 ? 'no retired keys' : `${retired} retired key${retired === 1 ? '' : 's'}`}</dd>
    </dl>
  );
}

function CreateIdentity({ onCreated }: { onCreated: () => void }) {
  const client = useClient();
  const [siteId, setSiteId] = useState('');
  const [error, setError] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.call('identity.init', siteId.trim() ? { siteId: siteId.trim() } : {});
      onCreated();
    } catch (caught) {
      setError(asCallError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="stack">
      <p>This data dir has no site identity yet. Create one to sign bundles and to log in to the site's hosts.</p>
      <label>
        Site id <span className="muted">(optional; default from the host name)</span>
        <input value={siteId} onChange={(e) => setSiteId(e.target.value)} placeholder="e.g. st-marys-radiology" data-testid="site-id-input" />
      </label>
      {error && <ErrorNote error={error} />}
      <button type="submit" disabled={busy} data-testid="create-identity">
        {busy ? 'Creating…' : 'Create site identity'}
      </button>
    </form>
  );
}
