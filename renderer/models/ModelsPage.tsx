import type { LibraryModel } from '../../shared/domain/models.js';
import { formatBytes } from '../../shared/units.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';

const SOURCE_LABEL: Record<LibraryModel['source'], string> = { release: 'HQ release', workstation: 'This workstation', node: 'On a node' };

/** Where "Plan this model" goes: the Plan page with the model chosen (a release by name@version, a file by its path). */
const planHref = (model: LibraryModel): string => `#/plan?model=${encodeURIComponent(model.ref as string)}`;

/** The model library: every model the site can run, as the planner sees it (planner.models). */
export function ModelsPage() {
  const [library, reload] = useCall('planner.models', {});
  return (
    <div className="models-page" data-testid="page-models-live">
      <h1>Models</h1>
      <p className="muted">
        HQ&apos;s releases arrive in bundles on the Sync page; GGUF files come from this data dir&apos;s <span className="mono">models</span> folder, the files plans were made from, and node scans on the Nodes page.
      </p>
      <button type="button" className="secondary" onClick={reload} data-testid="models-reload">
        Read again
      </button>
      {library.status === 'loading' && <p className="muted">reading the model headers…</p>}
      {library.status === 'error' && <ErrorNote error={library.error} />}
      {library.status === 'ok' && library.data.length === 0 && (
        <p className="muted" data-testid="models-empty">
          No models yet: import a bundle from HQ on the <a href="#/sync">Sync page</a>, or scan nodes holding GGUF files on the <a href="#/nodes">Nodes page</a>.
        </p>
      )}
      {library.status === 'ok' && library.data.length > 0 && (
        <table className="table models-table" data-testid="models-table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Version</th>
              <th scope="col">Source</th>
              <th scope="col">Architecture</th>
              <th scope="col">Quantisation</th>
              <th scope="col">Size</th>
              <th scope="col">Location</th>
              <th scope="col">Release</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {library.data.map((m) => (
              <tr key={`${m.source}:${m.node ?? ''}:${m.path ?? m.ref ?? m.name}:${m.version ?? ''}`} data-testid="models-row" data-ref={m.ref ?? ''}>
                <td data-testid="models-name">{m.name}</td>
                <td data-testid="models-version">
                  {m.version ?? '—'}
                  {m.source === 'release' && m.newest ? <span className="muted small"> (newest)</span> : null}
                </td>
                <td>{SOURCE_LABEL[m.source]}</td>
                <td>{m.architecture ?? '—'}</td>
                <td>{m.quant ?? '—'}</td>
                <td data-testid="models-size">{formatBytes(m.sizeBytes)}</td>
                <td className="mono small models-location">{m.location}</td>
                <td className="small">
                  {m.source === 'release' ? (
                    <>
                      signed by {m.signer}
                      {m.releasedAt ? ` on ${m.releasedAt.slice(0, 10)}` : ''}
                      <br />
                      sha256{' '}
                      <span className="mono" data-testid="models-digest">
                        {m.digest?.slice(0, 16)}…
                      </span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {m.problem ? (
                    <span className="warn small" data-testid="models-problem">
                      cannot be planned: {m.problem}
                    </span>
                  ) : m.ref ? (
                    <a className="button" href={planHref(m)} data-testid="models-plan">
                      Plan this model
                    </a>
                  ) : (
                    <span className="small">pick it on the Plan page (GGUF files on discovered nodes)</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
