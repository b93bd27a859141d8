import { useState, type FormEvent } from 'react';
import type { ExportResult, TrustedPeer } from '../../shared/domain/sync.js';
import { formatBytes } from '../../shared/units.js';
import type { CallError } from '../api/client.js';
import { asCallError, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { SyncProgressBar } from './SyncProgressBar.js';
import { useSyncJob } from './useSyncJob.js';

/** Export: destination, peer (for a delta), medium size; progress with Cancel. */
export function ExportCard({ peers, onDone }: { peers: TrustedPeer[]; onDone: () => void }) {
  const client = useClient();
  const job = useSyncJob();
  const [to, setTo] = useState('');
  const [peer, setPeer] = useState('');
  const [mediumGiB, setMediumGiB] = useState('');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const jobId = job.start();
    setError(null);
    setResult(null);
    try {
      const size = Number(mediumGiB);
      setResult(await client.call('sync.export', { to: to.trim(), for: peer || undefined, maxMediumSize: mediumGiB && size > 0 ? Math.floor(size * 1024 ** 3) : undefined, jobId }));
      onDone();
    } catch (caught) {
      setError(asCallError(caught));
    } finally {
      job.finish();
    }
  };
  return (
    <section className="card" data-testid="export-card">
      <h2>Export a bundle</h2>
      <form className="stack" onSubmit={submit}>
        <label>
          Destination directory (created; must be new or empty)
          <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="/media/usb/outpost-bundle" data-testid="export-to" required />
        </label>
        <label>
          For peer (leaves out chunks it acknowledged)
          <select value={peer} onChange={(e) => setPeer(e.target.value)} data-testid="export-for">
            <option value="">{'any trusted peer (full bundle)'}</option>
            {peers.map((p) => (
              <option key={p.siteId} value={p.siteId}>{`${p.siteId} (${p.role})`}</option>
            ))}
          </select>
        </label>
        <label>
          Split across media of (GiB, optional)
          <input value={mediumGiB} onChange={(e) => setMediumGiB(e.target.value)} inputMode="decimal" placeholder="32" data-testid="export-medium-size" />
        </label>
        <button type="submit" disabled={job.jobId !== null} data-testid="export-start">
          Export
        </button>
      </form>
      {job.jobId && <SyncProgressBar progress={job.progress} onCancel={job.cancel} />}
      {error && <ErrorNote error={error} />}
      {result && (
        <p className="ok" data-testid="export-result">
          Bundle {result.bundle.sequence} for {result.bundle.recipient}: {result.bundle.records} records, {result.bundle.files} files, {formatBytes(result.bytesWritten)} on {result.mediaPaths.length} medium
          {result.mediaPaths.length === 1 ? '' : 's'}, {result.chunksLeftOut} chunks left out.
        </p>
      )}
    </section>
  );
}
