import type { Dashboard } from '../../shared/domain/dashboard.js';
import { formatBytes } from '../../shared/units.js';
import { Meter } from '../components/Meter.js';
import { EmptyState, Tile } from './Tile.js';

const MiB = 2 ** 20;
const NODE_STATES = [
  { state: 'up', label: 'up' },
  { state: 'silent', label: 'silent' },
  { state: 'key-changed', label: 'key changed' },
] as const;

/** Nodes up, silent and with a changed host key: counts and names. */
export function NodesTile({ nodes }: { nodes: Dashboard['nodes'] }) {
  return (
    <Tile title="Nodes" testId="dashboard-nodes" page="nodes" pageLabel="Nodes" level={nodes.some((n) => n.state !== 'up') ? 'warn' : undefined}>
      {nodes.length === 0 ? (
        <EmptyState testId="dashboard-nodes-empty">No node is inventoried yet: scan the site on the Nodes page.</EmptyState>
      ) : (
        <dl className="dashboard-counts">
          {NODE_STATES.map(({ state, label }) => {
            const names = nodes.filter((n) => n.state === state).map((n) => n.name);
            return (
              <div key={state} className={`dashboard-count dashboard-count-${state}`}>
                <dt>{label}</dt>
                <dd>
                  <strong data-testid={`dashboard-nodes-${state}`}>{names.length}</strong>{' '}
                  <span className="small" data-testid={`dashboard-nodes-${state}-names`}>
                    {names.join(', ')}
                  </span>
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </Tile>
  );
}

/** Each deployment with its state and workers running. */
export function DeploymentsTile({ deployments }: { deployments: Dashboard['deployments'] }) {
  return (
    <Tile title="Deployments" testId="dashboard-deployments" page="workers" pageLabel="Workers">
      {deployments.length === 0 ? (
        <EmptyState testId="dashboard-deployments-empty">No model is deployed: plan a model on the Plan page, then launch it.</EmptyState>
      ) : (
        <ul className="dashboard-list">
          {deployments.map((d) => (
            <li key={d.id} data-testid="dashboard-deployment" data-id={d.id} data-state={d.state}>
              <span className={`workers-state workers-state-${d.state}`} data-testid="dashboard-deployment-state">
                {d.state}
              </span>{' '}
              <strong>{d.model}</strong> <span className="mono">{d.id}</span>{' '}
              <span className="small muted">
                {d.workersRunning} of {d.workers} workers running
              </span>
            </li>
          ))}
        </ul>
      )}
    </Tile>
  );
}

/** The router's last 15 minutes: requests, rate, TTFT p50/p99. */
export function RouterTile({ router }: { router: Dashboard['router'] }) {
  const minutes = Math.round(router.windowSeconds / 60);
  return (
    <Tile title={`Router, last ${minutes} min`} testId="dashboard-router" page="router" pageLabel="Router" level={router.running ? undefined : 'warn'}>
      <p className="small" data-testid="dashboard-router-state">
        {router.running ? 'running' : 'not running: the site service starts it; see the Router page'}
      </p>
      {router.requests === 0 ? (
        <EmptyState testId="dashboard-router-empty">No request in the last {minutes} min: connect an application on the Router page.</EmptyState>
      ) : (
        <dl className="facts">
          <dt>Requests</dt>
          <dd data-testid="dashboard-router-rate">
            {router.requests} ({router.requestsPerMinute}/min){router.errors > 0 ? `, ${router.errors} failed` : ''}
          </dd>
          <dt>TTFT</dt>
          <dd data-testid="dashboard-router-ttft">
            p50 {router.ttftP50Ms ?? '–'} ms · p99 {router.ttftP99Ms ?? '–'} ms
          </dd>
        </dl>
      )}
    </Tile>
  );
}

/** GPU memory fill per node, as bars. */
export function GpuTile({ gpus }: { gpus: Dashboard['gpus'] }) {
  return (
    <Tile title="GPU fill" testId="dashboard-gpus" page="monitoring" pageLabel="Monitoring">
      {gpus.length === 0 ? (
        <EmptyState testId="dashboard-gpus-empty">No GPU reports yet: scan the site on the Nodes page; GPU nodes report here while the site service runs.</EmptyState>
      ) : (
        <div className="stack">
          {gpus.map((g) => (
            <div key={g.node} data-testid="dashboard-gpu" data-node={g.node}>
              <strong>{g.node}</strong>{' '}
              <span className="small muted">
                {g.gpus} GPU{g.gpus === 1 ? '' : 's'}
                {g.utilPercent !== null ? ` · ${g.utilPercent}% busy` : ''}
                {g.stale ? ' · no recent sample' : ''}
              </span>
              <Meter used={g.usedMiB * MiB} total={g.totalMiB * MiB} label={`${formatBytes(g.usedMiB * MiB)} of ${formatBytes(g.totalMiB * MiB)} (${Math.round(g.fill * 100)}%)`} />
            </div>
          ))}
        </div>
      )}
    </Tile>
  );
}
