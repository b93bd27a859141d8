import type { Deployment } from '../../shared/domain/workers.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { TimeChart } from './TimeChart.js';
import { usePolling, useSeries } from './useSeries.js';

/** Each deployment's workers with their state and restarts, and workers running over time. */
export function WorkersCard({ windowSeconds }: { windowSeconds: number }) {
  const [deployments, reload] = useCall('workers.list', { all: false });
  usePolling(reload);
  const running = useSeries('workers.running', windowSeconds, 'deployment:');
  return (
    <section className="card monitoring-card" data-testid="monitoring-workers">
      <h2>Workers</h2>
      {deployments.status === 'error' && <ErrorNote error={deployments.error} />}
      {deployments.status === 'ok' && deployments.data.length === 0 && (
        <p className="muted" data-testid="monitoring-workers-empty">
          no deployment running: plan a model on the <a href="#/plan">Plan page</a> and launch it
        </p>
      )}
      {deployments.status === 'ok' && deployments.data.length > 0 && (
        <table className="table monitoring-workers-table">
          <thead>
            <tr>
              <th scope="col">Deployment</th>
              <th scope="col">Worker</th>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Restarts</th>
            </tr>
          </thead>
          <tbody>
            {deployments.data.flatMap((d: Deployment) =>
              d.workers.map((w) => (
                <tr key={`${d.id}/${w.name}`} data-testid={`monitoring-worker-${d.id}-${w.name}`}>
                  <td className="mono">
                    {d.id}{' '}
                    <span className="muted">
                      ({d.model}, {d.state})
                    </span>
                  </td>
                  <td>{w.name}</td>
                  <td>{w.node}</td>
                  <td>
                    <span className={`workers-state workers-state-${w.state}`}>{w.state}</span>
                  </td>
                  <td>{w.restarts}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      {running.lines.length > 0 && <TimeChart lines={running.lines} unit={running.unit} range={running.range} testId="monitoring-workers-running" height={120} />}
    </section>
  );
}
