import { useState, type FormEvent } from 'react';
import { asCallError, useCall, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { CopyableText } from '../components/CopyableText.js';

/** This installation's trust file: written where the person says (never over a file), or copied as JSON. */
export function TrustExport() {
  const client = useClient();
  const [file] = useCall('sync.trustExport', {});
  const [to, setTo] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const pickFile = window.outpost?.pickFile;
  const save = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaved(null);
    const target = to.trim();
    client.call('sync.trustExport', { to: target }).then(
      () => setSaved(target),
      (e: unknown) => setError(asCallError(e)),
    );
  };
  const choose = () => {
    void pickFile?.('save-trust-file').then((chosen) => chosen && setTo(chosen));
  };
  return (
    <div className="stack" data-testid="trust-export">
      <h3>This site's trust file</h3>
      <p className="muted">HQ adds it to trust the reports and bundles this site sends. Compare its fingerprint with HQ when they add it.</p>
      <form onSubmit={save} className="trust-add-row">
        <label>
          Save to
          <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="/media/usb/site.trust.json" required data-testid="trust-export-path" />
        </label>
        {pickFile && (
          <button type="button" className="secondary" onClick={choose} data-testid="trust-export-pick">
            Choose…
          </button>
        )}
        <button type="submit" disabled={!to.trim()} data-testid="trust-export-save">
          Save
        </button>
      </form>
      {saved && (
        <p data-testid="trust-export-saved">
          Saved to <code>{saved}</code>.
        </p>
      )}
      {error && <ErrorNote error={error} />}
      {file.status === 'ok' && (
        <>
          <p>
            Fingerprint{' '}
            <span className="mono" data-testid="trust-export-fingerprint">
              {file.data.signingKey.fingerprint}
            </span>
          </p>
          <CopyableText block captioned text={JSON.stringify(file.data, null, 2)} label="The trust file as JSON" testId="trust-export-json" />
        </>
      )}
      {file.status === 'error' && <ErrorNote error={file.error} />}
    </div>
  );
}
