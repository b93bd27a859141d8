import { useEffect, useState, type FormEvent } from 'react';
import type { CallInput } from '../../shared/contract/index.js';
import type { CallError } from '../api/client.js';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { SettingField, asNumber } from './SettingField.js';

/**
 * Where the router listens (`router.listen.*`). Saving moves the app's router there: the service checks the
 * address and that the port is free first, so a refused change leaves the router serving where it was.
 */
export function RouterListenSection() {
  const client = useClient();
  const [listen, reload] = useCall('router.listen.show', {});
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [error, setError] = useState<CallError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (listen.status !== 'ok') return;
    setHost(listen.data.stored.host);
    setPort(String(listen.data.stored.port));
  }, [listen]);

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (listen.status !== 'ok') return;
    // Only what was changed is sent: a field the service's environment pins is refused even when unchanged.
    const input: Record<string, unknown> = {};
    if (host.trim() !== listen.data.stored.host) input.host = host.trim();
    if (port.trim() !== String(listen.data.stored.port)) input.port = asNumber(port);
    setBusy(true);
    setError(null);
    setSaved(false);
    client
      .call('router.listen.set', input as CallInput<'router.listen.set'>)
      .then(() => {
        setSaved(true);
        reload();
      })
      .catch((caught: unknown) => setError(asCallError(caught)))
      .finally(() => setBusy(false));
  };

  return (
    <section className="card" data-testid="settings-router">
      <h2>Router address</h2>
      {listen.status === 'error' && <ErrorNote error={listen.error} />}
      {listen.status === 'ok' && (
        <form onSubmit={save} noValidate>
          <p data-testid="settings-router-serving">
            {listen.data.serving ? (
              <>
                The router serves at <span className="mono">{listen.data.serving}</span>; applications use <span className="mono">{listen.data.baseUrls.join(', ')}</span>.
              </>
            ) : (
              'The router is not running now.'
            )}
          </p>
          {listen.data.note && (
            <p className="warn" data-testid="settings-router-note">
              {listen.data.note}
            </p>
          )}
          {listen.data.warning && (
            <p className="warn" data-testid="settings-router-warning">
              {listen.data.warning}
            </p>
          )}
          <div className="settings-grid">
            <SettingField
              name="host"
              label="Listen address"
              value={host}
              onChange={setHost}
              error={error?.fields.host}
              hint={`0.0.0.0: every address of this workstation (the site network); 127.0.0.1: this workstation only. Its site addresses: ${listen.data.siteAddresses.join(', ') || 'none found'}.`}
            />
            <SettingField name="port" label="Port" unit="1024–65535" value={port} onChange={setPort} error={error?.fields.port} />
          </div>
          {error && Object.keys(error.fields).length === 0 && <ErrorNote error={error} />}
          {error && Object.keys(error.fields).length > 0 && (
            <p className="setting-error" data-testid="settings-router-error">
              Not saved: {error.message}
              {error.hint ? ` — ${error.hint}` : ''}
            </p>
          )}
          <div className="settings-actions">
            <button type="submit" disabled={busy} data-testid="settings-router-save">
              {busy ? 'Moving the router…' : 'Save router address'}
            </button>
            {saved && (
              <span className="ok" role="status" data-testid="settings-router-saved">
                Saved; the router listens at the address above, read back from the site service.
              </span>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
