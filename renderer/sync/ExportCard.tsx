import { useEffect, useState, type FormEvent } from 'react';
import type { Drive, ExportPlan } from '../../shared/domain/drives.js';
import type { ExportResult, TrustedPeer } from '../../shared/domain/sync.js';
import { formatBytes } from '../../shared/units.js';
import type { CallError } from '../api/client.js';
import { asCallError, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { ExportPlanView } from './ExportPlanView.js';
import { SyncProgressBar } from './SyncProgressBar.js';
import { useSyncJob } from './useSyncJob.js';

/** Asked again this long after the last change of destination, peer or medium size. */
const PLAN_DELAY_MS = 300;

/** Export: to drives (ticked in order, one medium each) or a typed directory; size against free space first; progress with Cancel; safe to remove after. */
export function ExportCard({ peers, drives, onDone }: { peers: TrustedPeer[]; drives: Drive[]; onDone: () => void }) {
  const client = useClient();
  const job = useSyncJob();
  const [picked, setMode] = useState<'drives' | 'directory' | null>(null);
  const mode = picked ?? (drives.length ? 'drives' : 'directory');
  const [chosen, setChosen] = useState<string[]>([]);
  const [to, setTo] = useState('');
  const [peer, setPeer] = useState('');
  const [mediumGiB, setMediumGiB] = useState('');
  const [plan, setPlan] = useState<ExportPlan | null>(null);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const size = Number(mediumGiB);
  const destination = {
    ...(mode === 'drives' ? { drives: chosen.length ? chosen : undefined } : { to: to.trim() || undefined }),
    for: peer || undefined,
    maxMediumSize: mediumGiB && size > 0 ? Math.floor(size * 1024 ** 3) : undefined,
  };
  const ready = mode === 'drives' ? chosen.length > 0 : to.trim() !== '';
  const key = JSON.stringify(destination);
  useEffect(() => {
    setPlan(null);
    if (!ready) return;
    let live = true;
    const timer = setTimeout(() => {
      client.call('sync.exportPlan', JSON.parse(key) as typeof destination).then(
        (answer) => live && setPlan(answer),
        () => live && setPlan(null),
      );
    }, PLAN_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, key, ready]);
  const toggle = (mount: string, on: boolean) => setChosen((now) => (on ? [...now.filter((m) => m !== mount), mount] : now.filter((m) => m !== mount)));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const jobId = job.start();
    setError(null);
    setResult(null);
    try {
      setResult(await client.call('sync.export', { ...destination, jobId }));
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
        <fieldset className="export-destination">
          <legend>Destination</legend>
          <label className="inline">
            <input type="radio" name="export-mode" checked={mode === 'drives'} onChange={() => setMode('drives')} data-testid="export-mode-drives" /> Removable drives (one medium each, in the order ticked)
          </label>
          {mode === 'drives' && drives.length === 0 && <p className="muted small">No removable drive is mounted yet.</p>}
          {mode === 'drives' &&
            drives.map((d) => (
              <label key={d.mount} className="inline drive-choice">
                <input type="checkbox" checked={chosen.includes(d.mount)} onChange={(e) => toggle(d.mount, e.target.checked)} data-testid="export-drive" data-label={d.label} />
                {d.label}{' '}
                <span className="muted small">
                  ({formatBytes(d.free)} free{chosen.includes(d.mount) ? `, medium ${chosen.indexOf(d.mount) + 1}` : ''})
                </span>
              </label>
            ))}
          <label className="inline">
            <input type="radio" name="export-mode" checked={mode === 'directory'} onChange={() => setMode('directory')} data-testid="export-mode-directory" /> A directory
          </label>
          {mode === 'directory' && (
            <label>
              Destination directory (created; must be new or empty)
              <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="/media/usb/outpost-bundle" data-testid="export-to" required />
            </label>
          )}
        </fieldset>
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
        {plan && <ExportPlanView plan={plan} />}
        <button type="submit" disabled={job.jobId !== null || !ready || plan?.fits === false} data-testid="export-start">
          Export
        </button>
      </form>
      {job.jobId && <SyncProgressBar progress={job.progress} onCancel={job.cancel} />}
      {error && <ErrorNote error={error} />}
      {result && (
        <div data-testid="export-result">
          <p className="ok">
            Bundle {result.bundle.sequence} for {result.bundle.recipient}: {result.bundle.records} records, {result.bundle.files} files, {formatBytes(result.bytesWritten)} on {result.mediaPaths.length} medium
            {result.mediaPaths.length === 1 ? '' : 's'}, {result.chunksLeftOut} chunks left out.
          </p>
          {result.safeToRemove && (
            <p className="ok safe-to-remove" data-testid="export-safe">
              ✔ Everything is flushed to {result.targets.map((t) => t.label ?? t.path).join(', ')}: safe to remove.
            </p>
          )}
        </div>
      )}
    </section>
  );
}
