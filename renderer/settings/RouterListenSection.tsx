import { useEffect, useState, type FormEvent } from 'react';
import { useCall, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { SettingField, asNumber } from './SettingField.js';
import { SaveBar, useSectionSave } from './section-save.js';

/**
 * Where the router listens (`router.listen.*`). Saving moves the app's router there: the service checks the
 * address and that the port is free first, so a refused change leaves the router serving where it was.
 */
export function RouterListenSection() {
  const client = useClient();
  const [listen, reload] = useCall('router.listen.show', {});
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const saving = useSectionSave(reload);
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
    saving.save(() => client.call('router.listen.set', input));
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
              error={saving.error?.fields.host}
              hint={`0.0.0.0: every address of this workstation (the site network); 127.0.0.1: this workstation only. Its site addresses: ${listen.data.siteAddresses.join(', ') || 'none found'}.`}
            />
            <SettingField name="port" label="Port" unit="1024–65535" value={port} onChange={setPort} error={saving.error?.fields.port} />
          </div>
          <SaveBar section="router" state={saving} label="Save router address" busyLabel="Moving the router…" savedText="Saved; the router listens at the address above, read back from the site service." />
        </form>
      )}
    </section>
  );
}
