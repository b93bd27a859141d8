import { useState, type FormEvent } from 'react';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { CopyableText } from '../components/CopyableText.js';
import { ErrorNote } from '../components/ErrorNote.js';

/** A key just created: its secret lives only in this page's memory until the page is left or Done is pressed. */
export interface CreatedKey {
  id: string;
  app: string;
  key: string;
}

/** API keys of the site's applications: create (shown once, with a copy button), list, revoke. */
export function ApiKeysCard({ created, setCreated }: { created: CreatedKey | null; setCreated: (key: CreatedKey | null) => void }) {
  const client = useClient();
  const [keys, reload] = useCall('router.keys.list', {});
  const [app, setApp] = useState('');
  const [models, setModels] = useState('');
  const [error, setError] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      reload();
    } catch (caught) {
      setError(asCallError(caught));
    } finally {
      setBusy(false);
    }
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const list = models
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      const result = await client.call('router.keys.add', list.length > 0 ? { app: app.trim(), models: list } : { app: app.trim() });
      setCreated({ id: result.id, app: result.app, key: result.key });
      setApp('');
      setModels('');
    });
  };

  return (
    <section className="card" data-testid="router-keys">
      <h2>API keys</h2>
      {created && (
        <div className="router-new-key" data-testid="router-new-key">
          <p>
            Key for <strong>{created.app}</strong> — copy it now; Outpost keeps only its hash and cannot show it again.
          </p>
          <CopyableText text={created.key} label={`the API key for ${created.app}`} testId="router-new-key-value" />
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      <form className="router-key-form" onSubmit={create}>
        <label>
          Application
          <input value={app} onChange={(e) => setApp(e.target.value)} placeholder="e.g. weld-inspection" data-testid="router-key-app" />
        </label>
        <label>
          Models <span className="muted">(optional, comma-separated)</span>
          <input value={models} onChange={(e) => setModels(e.target.value)} placeholder="every model" data-testid="router-key-models" />
        </label>
        <button type="submit" disabled={busy} data-testid="router-key-create">
          Create key
        </button>
      </form>
      {error && <ErrorNote error={error} />}
      {keys.status === 'error' && <ErrorNote error={keys.error} />}
      {keys.status === 'ok' && keys.data.length === 0 && <p className="muted">no API keys yet</p>}
      {keys.status === 'ok' && keys.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Application</th>
              <th scope="col">Models</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id} data-testid={`router-key-${k.id}`}>
                <td className="mono">{k.id}</td>
                <td>{k.app}</td>
                <td>{k.models ? k.models.join(', ') : <span className="muted">every model</span>}</td>
                <td className={k.revokedAt ? 'warn' : 'ok'}>{k.revokedAt ? `revoked ${new Date(k.revokedAt).toLocaleString()}` : 'active'}</td>
                <td>
                  {!k.revokedAt && (
                    // A second step: an application using the key is refused at once.
                    <ConfirmButton
                      testId={`router-key-revoke-${k.id}`}
                      confirmTestId={`router-key-confirm-${k.id}`}
                      yesTestId={`router-key-revoke-yes-${k.id}`}
                      disabled={busy}
                      label="Revoke…"
                      question={`Revoke ${k.app}'s key? Its requests are refused at once.`}
                      yesLabel="Yes, revoke"
                      onConfirm={() => void run(async () => void (await client.call('router.keys.revoke', { id: k.id })))}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
