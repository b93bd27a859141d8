import { useEffect, useState } from 'react';
import type { CallInput } from '../../shared/contract/index.js';
import { useCall } from '../api/hooks.js';
import { CopyableText } from '../components/CopyableText.js';
import { ErrorNote } from '../components/ErrorNote.js';
import type { CreatedKey } from './ApiKeysCard.js';

const SNIPPETS = [
  { kind: 'curl', label: 'curl (streaming chat completion)' },
  { kind: 'openai-python', label: 'OpenAI client, Python' },
  { kind: 'openai-js', label: 'OpenAI client, JavaScript' },
] as const;

/**
 * How an application connects: the router's base URL, the models it serves, and ready-to-paste snippets for a
 * chosen key and model. Everything shown is what `router.connect` computed; a key's secret reaches the snippets
 * only right after it was created, in this page's memory.
 */
export function ConnectCard({ created, revision }: { created: CreatedKey | null; revision: string }) {
  const [keys, reloadKeys] = useCall('router.keys.list', {});
  const [keyId, setKeyId] = useState('');
  const [model, setModel] = useState('');
  useEffect(() => {
    reloadKeys();
    if (created) setKeyId(created.id);
  }, [created, reloadKeys]);
  const secret = created !== null && created.id === keyId ? created.key : undefined;
  const input: CallInput<'router.connect'> = { ...(model ? { model } : {}), ...(secret ? { key: secret } : {}) };
  const [connect, reloadConnect] = useCall('router.connect', input);
  // The router moved, or its endpoints changed: the base URL and the models may have too.
  useEffect(() => reloadConnect(), [revision, reloadConnect]);
  const active = keys.status === 'ok' ? keys.data.filter((k) => k.revokedAt === null) : [];

  return (
    <section className="card router-connect" data-testid="router-connect">
      <h2>Connect an application</h2>
      {connect.status === 'error' && <ErrorNote error={connect.error} />}
      {connect.status === 'ok' && (
        <>
          <p>Any OpenAI-compatible client works: give it this base URL and an API key.</p>
          <div className="connect-row">
            <span className="connect-label">Base URL</span>
            <CopyableText text={connect.data.baseUrl} label="the base URL" testId="connect-base-url" />
          </div>
          {connect.data.listen.baseUrls.length > 1 && (
            <div className="connect-row">
              <span className="connect-label">Also reachable at</span>
              <ul className="connect-urls" data-testid="connect-other-urls">
                {connect.data.listen.baseUrls.slice(1).map((url) => (
                  <li key={url} className="mono">
                    {url}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {connect.data.listen.warning && (
            <p className="warn" data-testid="connect-warning">
              {connect.data.listen.warning}
            </p>
          )}
          {connect.data.listen.note && <p className="muted">{connect.data.listen.note}</p>}
          <p className="muted small">
            The address and port are set on the <a href="#/settings">Settings page</a>.
          </p>
          <div className="connect-row">
            <span className="connect-label">Models</span>
            <span data-testid="connect-models">
              {connect.data.models.length === 0
                ? 'none yet: the router serves a model once a deployment is running (Plan page, then Launch)'
                : connect.data.models.map((m) => (
                    <span key={m} className="chip mono">
                      {m}
                    </span>
                  ))}
            </span>
          </div>
          <div className="connect-pickers">
            <label>
              API key
              <select value={keyId} onChange={(e) => setKeyId(e.target.value)} data-testid="connect-key">
                <option value="">any key (read from $OUTPOST_API_KEY)</option>
                {active.map((k) => (
                  <option key={k.id} value={k.id}>
                    {k.app} ({k.id}){created?.id === k.id ? ' — just created' : ''}
                  </option>
                ))}
              </select>
            </label>
            {connect.data.models.length > 0 && (
              <label>
                Model
                <select value={connect.data.model ?? ''} onChange={(e) => setModel(e.target.value)} data-testid="connect-model">
                  {connect.data.models.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          <p className="muted small" data-testid="connect-key-note">
            {connect.data.keyNote} {active.length === 0 ? 'Create a key under API keys below.' : ''}
          </p>
          {connect.data.snippets &&
            SNIPPETS.map(({ kind, label }) => (
              <div key={kind} className="connect-snippet">
                <h3>{label}</h3>
                <CopyableText text={connect.data.snippets?.[kind] ?? ''} label={label} testId={`connect-snippet-${kind}`} block />
              </div>
            ))}
        </>
      )}
    </section>
  );
}
