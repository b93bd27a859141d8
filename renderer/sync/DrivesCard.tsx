import type { Drive } from '../../shared/domain/drives.js';
import { formatBytes } from '../../shared/units.js';
import type { CallState } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { Meter } from '../components/Meter.js';

/** The mounted removable drives, their free space and the bundles on them. */
export function DrivesCard({ drives }: { drives: CallState<Drive[]> }) {
  return (
    <section className="card" data-testid="drives-card">
      <h2>Removable drives</h2>
      {drives.status === 'error' && <ErrorNote error={drives.error} />}
      {drives.status === 'ok' && drives.data.length === 0 && (
        <p className="muted" data-testid="drives-empty">
          No removable drive is mounted. Plug one in: it appears here within a few seconds. A typed directory works too.
        </p>
      )}
      {drives.status === 'ok' && drives.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Mounted at</th>
              <th scope="col">Free space</th>
              <th scope="col">Bundles</th>
            </tr>
          </thead>
          <tbody>
            {drives.data.map((d) => (
              <tr key={d.mount} data-testid="drive-row" data-label={d.label}>
                <td>
                  {d.label}
                  <span className="muted small"> · {d.device}</span>
                </td>
                <td className="mono">{d.mount}</td>
                <td>
                  <Meter used={d.size - d.free} total={d.size} label={`${formatBytes(d.free)} free of ${formatBytes(d.size)}`} />
                </td>
                <td className="small">
                  {d.bundles.length === 0 && <span className="muted">none</span>}
                  {d.bundles.map((b) => (
                    <div key={b.path} className={b.incomplete ? 'warn' : ''}>
                      {b.incomplete ? 'an export being written or cut short (cannot be imported)' : `bundle ${b.sequence ?? '?'} from ${b.issuer ?? '?'}${b.fromHere ? ' (written here)' : ''} · medium ${b.medium} of ${b.count}`}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
