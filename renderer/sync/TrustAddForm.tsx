import { useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Role } from '../../shared/domain/identity.js';
import type { CallOutput } from '../../shared/contract/index.js';
import type { TrustedPeer } from '../../shared/domain/sync.js';
import { asCallError, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';

type Inspected = CallOutput<'sync.trustInspect'>;

/**
 * Adding a peer: a path (typed, or the native dialog in the desktop app), then what the file says (site id,
 * role, fingerprint) and an explicit confirmation. `role`: the role the service must find in the file.
 */
export function TrustAddForm({ role, onAdded }: { role?: Role; onAdded: (peer: TrustedPeer) => void }) {
  const client = useClient();
  const [path, setPath] = useState('');
  const [inspected, setInspected] = useState<Inspected | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const [busy, setBusy] = useState(false);
  const pickFile = window.outpost?.pickFile;

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(asCallError(caught));
    } finally {
      setBusy(false);
    }
  };
  const inspect = (event: FormEvent) => {
    event.preventDefault();
    setInspected(null);
    void run(async () => setInspected(await client.call('sync.trustInspect', { path: path.trim(), ...(role ? { role } : {}) })));
  };
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    if (!inspected) return;
    void run(async () => {
      const peer = await client.call('sync.trustAdd', { path: path.trim(), fingerprint: inspected.fingerprint, ...(role ? { role } : {}) });
      setInspected(null);
      setPath('');
      onAdded(peer);
    });
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') setInspected(null);
  };
  const choose = () => {
    if (!pickFile) return;
    void pickFile('open-trust-file').then((chosen) => {
      if (!chosen) return;
      setPath(chosen);
      setInspected(null);
    });
  };

  return (
    <div className="stack" data-testid="trust-add">
      <form onSubmit={inspect} className="trust-add-row">
        <label>
          {role === 'hq' ? "HQ's trust file" : "The peer's trust file"}
          <input
            value={path}
            onChange={(e) => {
              setPath(e.target.value);
              setInspected(null);
            }}
            placeholder="/media/usb/hq.trust.json"
            required
            data-testid="trust-add-path"
          />
        </label>
        {pickFile && (
          <button type="button" className="secondary" onClick={choose} data-testid="trust-pick">
            Choose file…
          </button>
        )}
        <button type="submit" disabled={busy || !path.trim()} data-testid="trust-inspect">
          Read the file
        </button>
      </form>
      {inspected && (
        <form onSubmit={confirm} onKeyDown={onKey} className="trust-inspected stack" data-testid="trust-inspected" role="group" aria-label="Confirm the trust file">
          <dl className="facts">
            <dt>Site id</dt>
            <dd data-testid="trust-inspected-site">{inspected.trust.siteId}</dd>
            <dt>Role</dt>
            <dd data-testid="trust-inspected-role">{inspected.trust.role === 'hq' ? 'HQ' : 'site'}</dd>
            <dt>Fingerprint</dt>
            <dd className="mono" data-testid="trust-inspected-fingerprint">
              {inspected.fingerprint}
            </dd>
          </dl>
          {inspected.status === 'same' && <p className="muted">Already trusted with this key: nothing would change.</p>}
          {inspected.status === 'different-key' && <p className="warn">This replaces the key trusted for {inspected.trust.siteId} until now.</p>}
          <p>Compare the fingerprint with {inspected.trust.siteId} over a channel you trust (a phone call, a printed sheet) before you trust it.</p>
          <div>
            <button type="submit" className="danger" disabled={busy || inspected.status === 'same'} autoFocus data-testid="trust-add-yes">
              Yes, trust {inspected.trust.siteId}
            </button>{' '}
            <button type="button" onClick={() => setInspected(null)} data-testid="trust-add-cancel">
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}
