import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ScanHost, ScanProgress, ScanResult } from '../../shared/domain/discovery.js';
import { asCallError, useClient, useEvent } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ErrorNote } from '../components/ErrorNote.js';

type ScanState = { phase: 'idle' } | { phase: 'running'; scanId: string; progress: ScanProgress | null; recent: ScanHost[]; cancelling: boolean } | { phase: 'done'; result: ScanResult } | { phase: 'failed'; error: CallError };

/** A form field kept for the browser session: leaving the page (or the first visit's step) and coming back finds it as it was. */
function useKeptField<T extends string | number>(name: string, initial: T): [T, (value: T) => void] {
  const storageKey = `outpost.scan.${name}`;
  const [value, setValue] = useState<T>(() => {
    const stored = sessionStorage.getItem(storageKey);
    if (stored === null) return initial;
    return (typeof initial === 'number' ? Number(stored) : stored) as T;
  });
  useEffect(() => sessionStorage.setItem(storageKey, String(value)), [storageKey, value]);
  return [value, setValue];
}

/** The scan form: targets, user, port, key, concurrency (kept when you come back); live progress while it runs, and Cancel. */
export function ScanForm({ onFinished }: { onFinished: () => void }) {
  const client = useClient();
  const [targets, setTargets] = useKeptField<string>('targets', '');
  const [user, setUser] = useKeptField<string>('user', '');
  const [port, setPort] = useKeptField<number>('port', 22);
  const [key, setKey] = useKeptField<string>('key', '');
  const [concurrency, setConcurrency] = useKeptField<number>('concurrency', 64);
  const [state, setState] = useState<ScanState>({ phase: 'idle' });

  useEvent(
    'discovery.scanProgress',
    useCallback((progress: ScanProgress) => {
      setState((s) => (s.phase === 'running' && s.scanId === progress.scanId ? { ...s, progress, recent: progress.host ? [progress.host, ...s.recent].slice(0, 6) : s.recent } : s));
    }, []),
  );

  const start = (event: FormEvent) => {
    event.preventDefault();
    const scanId = crypto.randomUUID();
    setState({ phase: 'running', scanId, progress: null, recent: [], cancelling: false });
    client
      .call('discovery.scan', { targets, user, port, concurrency, scanId, ...(key.trim() ? { key: key.trim() } : {}) })
      .then((result) => setState({ phase: 'done', result }))
      .catch((error: unknown) => setState({ phase: 'failed', error: asCallError(error) }))
      .finally(onFinished);
  };

  const cancel = () => {
    if (state.phase !== 'running') return;
    setState({ ...state, cancelling: true });
    void client.call('discovery.cancelScan', { scanId: state.scanId });
  };

  const running = state.phase === 'running';
  return (
    <section className="card nodes-scan" data-testid="scan-form">
      <h2>Scan the site</h2>
      <form onSubmit={start} className="nodes-scan-form">
        <label>
          Targets
          <input data-testid="scan-targets" value={targets} onChange={(e) => setTargets(e.target.value)} placeholder="10.0.0.0/24, gpu-7, 10.0.1.9:2222" required disabled={running} />
        </label>
        <label>
          User
          <input data-testid="scan-user" value={user} onChange={(e) => setUser(e.target.value)} placeholder="ops" required disabled={running} />
        </label>
        <label>
          Port
          <input data-testid="scan-port" type="number" min={1} max={65535} value={port} onChange={(e) => setPort(Number(e.target.value))} required disabled={running} />
        </label>
        <label>
          Key file
          <input data-testid="scan-key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="the site key" disabled={running} />
        </label>
        <label>
          Concurrency
          <input data-testid="scan-concurrency" type="number" min={1} max={1024} value={concurrency} onChange={(e) => setConcurrency(Number(e.target.value))} disabled={running} />
        </label>
        {running ? (
          <button type="button" className="secondary" data-testid="scan-cancel" onClick={cancel} disabled={state.cancelling}>
            {state.cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="submit" data-testid="scan-start">
            Scan
          </button>
        )}
      </form>
      {state.phase === 'running' && <Progress progress={state.progress} recent={state.recent} />}
      {state.phase === 'done' && (
        <p data-testid="scan-summary" className={state.result.outcome === 'cancelled' ? 'nodes-warn' : 'muted'}>
          {state.result.outcome === 'cancelled' ? 'Cancelled' : 'Done'}: {state.result.counts.live} live, {state.result.counts.inventoried} inventoried, {state.result.counts.failed} failed of {state.result.counts.total} address(es).
          {state.result.hosts
            .filter((h) => h.outcome !== 'inventoried')
            .map((h) => (
              <span key={`${h.address}:${h.port}`} className="nodes-failure">
                {h.address}:{h.port} — {h.outcome}: {h.reason}
              </span>
            ))}
        </p>
      )}
      {state.phase === 'failed' && <ErrorNote error={state.error} />}
    </section>
  );
}

function Progress({ progress, recent }: { progress: ScanProgress | null; recent: ScanHost[] }) {
  const c = progress?.counts;
  return (
    <div className="nodes-progress" data-testid="scan-progress" aria-live="polite">
      <progress max={c?.total ?? 1} value={c?.probed ?? 0} aria-label="Addresses probed" />
      <span>{c ? `probed ${c.probed}/${c.total} · live ${c.live} · inventoried ${c.inventoried} · failed ${c.failed}` : 'starting…'}</span>
      <ul>
        {recent.map((h) => (
          <li key={`${h.address}:${h.port}`}>
            {h.node ?? `${h.address}:${h.port}`}: {h.outcome}
          </li>
        ))}
      </ul>
    </div>
  );
}
