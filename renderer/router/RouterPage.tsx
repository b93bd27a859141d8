import { useEffect, useState } from 'react';
import { TIERS, type Endpoint, type EndpointStats, type RouterStatus } from '../../shared/domain/router.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { ApiKeysCard, type CreatedKey } from './ApiKeysCard.js';
import { ConnectCard } from './ConnectCard.js';
import { LineChart, Sparkline } from './charts.js';

const TIER_LABEL = { site: "This site's nodes", edge: 'Edge datacenter', upstream: 'Upstream' } as const;
const REFRESH_MS = 2_000;

/** The router: how applications connect, endpoints by tier with their live state, traffic charts, API keys. */
export function RouterPage() {
  const [status, reload] = useCall('router.status', {});
  const [created, setCreated] = useState<CreatedKey | null>(null);
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <div className="router-page" data-testid="page-router-live">
      <h1>Router</h1>
      {status.status === 'error' && <ErrorNote error={status.error} />}
      {status.status === 'ok' && (
        <>
          <RouterHeadline status={status.data} />
          <ConnectCard created={created} revision={`${status.data.stats?.listen ?? ''} ${status.data.configVersion}`} />
          <EndpointsCard status={status.data} />
          <TrafficCard status={status.data} />
        </>
      )}
      <ApiKeysCard created={created} setCreated={setCreated} />
    </div>
  );
}

function RouterHeadline({ status }: { status: RouterStatus }) {
  const supervised = status.supervised;
  return (
    <>
      {!status.running || !status.stats ? (
        <p className="router-headline warn" data-testid="router-state">
          The router is not running
          {supervised?.state === 'restarting'
            ? ` — the app starts it again at ${new Date(supervised.nextStartAt ?? supervised.updatedAt).toLocaleTimeString()}`
            : supervised
              ? ' — the app is starting it'
              : ' — no app core supervises a router for this data dir (another Outpost process may hold its supervision)'}
        </p>
      ) : (
        <p className="router-headline" data-testid="router-state">
          <span className="ok">running</span> at <span className="mono">{status.stats.listen}</span> · pid {status.stats.pid} · config version {status.stats.configVersion}
          {status.stats.configVersion < status.configVersion ? ` (loading ${status.configVersion})` : ''} · {status.stats.inFlight} in flight
        </p>
      )}
      {supervised && (
        <p className="router-supervision" data-testid="router-supervision">
          {supervised.state === 'external' ? `Started outside the app (pid ${supervised.pid}); the app leaves it running.` : `Supervised by the app: ${supervised.state} · ${supervised.restarts} restart${supervised.restarts === 1 ? '' : 's'}`}
          {supervised.lastExit && supervised.state !== 'external' ? ` · last ended: ${supervised.lastExit}` : ''}
        </p>
      )}
    </>
  );
}

function EndpointsCard({ status }: { status: RouterStatus }) {
  const live = new Map((status.stats?.endpoints ?? []).map((e) => [e.name, e]));
  if (status.endpoints.length === 0) {
    return (
      <section className="card">
        <h2>Endpoints</h2>
        <p className="muted">
          no endpoints yet — add one with <span className="mono">outpost router endpoints add &lt;name&gt; &lt;url&gt; --models &lt;m&gt;</span>
        </p>
      </section>
    );
  }
  return (
    <section className="card" data-testid="router-endpoints">
      <h2>Endpoints by tier</h2>
      {TIERS.map((tier) => {
        const endpoints = status.endpoints.filter((e) => e.tier === tier);
        if (endpoints.length === 0) return null;
        return (
          <div key={tier} className="router-tier" data-testid={`router-tier-${tier}`}>
            <h3 className="router-tier-name">{TIER_LABEL[tier]}</h3>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Models</th>
                  <th scope="col">Health</th>
                  <th scope="col">Breaker</th>
                  <th scope="col">In flight</th>
                  <th scope="col">TTFT</th>
                  <th scope="col">Recent TTFT</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.map((e) => (
                  <EndpointRow key={e.name} endpoint={e} live={status.running ? live.get(e.name) : undefined} />
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}

function EndpointRow({ endpoint, live }: { endpoint: Endpoint; live: EndpointStats | undefined }) {
  const health = live === undefined ? 'unknown' : live.healthy === null ? 'not probed yet' : live.healthy ? 'up' : 'down';
  return (
    <tr data-testid={`router-endpoint-${endpoint.name}`}>
      <td>
        <strong>{endpoint.name}</strong>
        <div className="mono muted">{endpoint.url}</div>
      </td>
      <td>{endpoint.models.join(', ')}</td>
      <td className={health === 'up' ? 'ok' : health === 'down' ? 'warn' : 'muted'} data-testid="health">
        {health}
      </td>
      <td>
        <span className={`router-breaker ${live?.breaker ?? 'unknown'}`} data-testid="breaker">
          {live?.breaker ?? '—'}
        </span>
      </td>
      <td data-testid="in-flight">{live ? `${live.inFlight} / ${endpoint.slots}` : '—'}</td>
      <td data-testid="ttft">{live?.ttftMs != null ? `${Math.round(live.ttftMs)} ms` : '—'}</td>
      <td>
        <Sparkline values={live?.recentTtftMs ?? []} testId={`router-sparkline-${endpoint.name}`} />
      </td>
    </tr>
  );
}

function TrafficCard({ status }: { status: RouterStatus }) {
  const traffic = status.stats?.traffic ?? [];
  return (
    <section className="card router-traffic" data-testid="router-traffic">
      <h2>Traffic, last two minutes</h2>
      {traffic.length === 0 ? (
        <p className="muted">no requests yet</p>
      ) : (
        <div className="grid">
          <LineChart
            testId="router-rate-chart"
            unit="req/s"
            series={[
              { label: 'requests/s', className: 'router-series-a', values: traffic.map((s) => s.requests) },
              { label: 'errors/s', className: 'router-series-bad', values: traffic.map((s) => s.errors) },
            ]}
          />
          <LineChart
            testId="router-latency-chart"
            unit="ms"
            series={[
              { label: 'TTFT p50', className: 'router-series-a', values: traffic.map((s) => s.ttftP50Ms) },
              { label: 'TTFT p99', className: 'router-series-b', values: traffic.map((s) => s.ttftP99Ms) },
            ]}
          />
        </div>
      )}
    </section>
  );
}
