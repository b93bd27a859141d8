import { useEffect, useState } from 'react';
import type { Drive, NextMedium } from '../../shared/domain/drives.js';
import { formatBytes } from '../../shared/units.js';
import type { ImportResult } from '../../shared/domain/sync.js';
import type { CallError } from '../api/client.js';
import { asCallError, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { DriveSources } from './DriveSources.js';
import { SyncProgressBar } from './SyncProgressBar.js';
import { useSyncJob } from './useSyncJob.js';

const STATE_TEXT: Record<ImportResult['state'], string> = {
  preview: 'Verified. Nothing is applied yet — review the changes, then apply.',
  applied: 'Applied in one transaction.',
  unchanged: 'This bundle was imported before; nothing changed.',
  incomplete: 'Staged what these media carry; insert the remaining media (any order) and import again.',
};

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Import from a drive or typed directories: verify → preview (changes and conflicts) → apply; a bundle on several drives asks for the next one by label. */
export function ImportCard({ drives, onDone }: { drives: Drive[]; onDone: () => void }) {
  const client = useClient();
  const job = useSyncJob();
  const [media, setMedia] = useState('');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const [waiting, setWaiting] = useState<NextMedium | null>(null);
  const run = async (dryRun: boolean, paths = lines(media)) => {
    const jobId = job.start();
    setError(null);
    setWaiting(null);
    try {
      const answer = await client.call('sync.import', { media: paths, dryRun, jobId });
      setResult(answer);
      if (answer.state === 'incomplete') setWaiting(answer.nextMedium);
      if (!dryRun) onDone();
    } catch (caught) {
      setResult(null);
      setError(asCallError(caught));
    } finally {
      job.finish();
    }
  };
  const pick = (path: string) => {
    setMedia(path);
    void run(true, [path]);
  };
  // The drive asked for is plugged in: its medium is imported without another click.
  const arrived = waiting ? drives.flatMap((d) => d.bundles).find((b) => b.manifestDigest === waiting.manifestDigest && b.medium === waiting.index) : undefined;
  useEffect(() => {
    if (!arrived || job.jobId !== null) return;
    setMedia(arrived.path);
    void run(false, [arrived.path]);
  }, [arrived?.path]);
  return (
    <section className="card" data-testid="import-card">
      <h2>Import a bundle</h2>
      <div className="stack">
        <DriveSources drives={drives} disabled={job.jobId !== null} onPick={pick} />
        <label>
          Bundle or medium directories (one per line)
          <textarea value={media} onChange={(e) => setMedia(e.target.value)} rows={2} placeholder="/media/usb/outpost-bundle" data-testid="import-media" />
        </label>
        <div className="sync-actions">
          <button type="button" disabled={job.jobId !== null || !media.trim()} onClick={() => void run(true)} data-testid="import-preview">
            Verify &amp; preview
          </button>
          <button type="button" disabled={job.jobId !== null || result?.state !== 'preview'} onClick={() => void run(false)} data-testid="import-apply">
            Apply
          </button>
        </div>
      </div>
      {job.jobId && <SyncProgressBar progress={job.progress} onCancel={job.cancel} />}
      {error && <ErrorNote error={error} />}
      {waiting && (
        <div className="next-drive" role="status" data-testid="import-next-drive">
          <strong>{waiting.prompt}</strong> <span className="muted small">The import continues when it is mounted.</span>{' '}
          <button type="button" onClick={() => setWaiting(null)} data-testid="import-stop-waiting">
            Stop waiting
          </button>
        </div>
      )}
      {result && (
        <div data-testid="import-result">
          <p className={result.state === 'incomplete' ? 'warn' : 'ok'} data-testid="import-state">
            Bundle {result.bundle.sequence} from {result.bundle.issuer}: {STATE_TEXT[result.state]}
          </p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Version</th>
                <th scope="col">Change</th>
                <th scope="col">Resolution</th>
              </tr>
            </thead>
            <tbody>
              {result.changes.map((c) => (
                <tr key={`${c.kind}/${c.key}`} data-testid="import-change">
                  <td>
                    {c.kind} {c.key}
                  </td>
                  <td data-testid="import-change-version">
                    {c.release ? (
                      <>
                        version {c.release.version}, {formatBytes(c.release.sizeBytes)}, sha256 <code>{c.release.digest.slice(0, 16)}…</code>
                      </>
                    ) : (
                      <>
                        v{c.incomingVersion}
                        {c.currentVersion !== null ? ` (here v${c.currentVersion})` : ''}
                      </>
                    )}
                  </td>
                  <td className={c.change === 'conflict' ? 'warn' : ''}>{c.change}</td>
                  <td className="small">{c.resolution ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.keyRotation && (
            <p className="small">
              Key rotation accepted: {result.keyRotation.from} → {result.keyRotation.to}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
