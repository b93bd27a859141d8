import { useState } from 'react';
import type { SeriesLine } from '../../shared/domain/telemetry.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { HealthCard } from './HealthCard.js';
import { TimeChart, type ChartLine } from './TimeChart.js';
import { WorkersCard } from './WorkersCard.js';
import { WINDOWS, usePolling, useSeries, type ChartSeries } from './useSeries.js';

const gpuLabel = (line: SeriesLine): string => line.source.replace(/^gpu:/, '').replace(/\/(\d+)$/, ' GPU $1');
const hostLabel = (line: SeriesLine): string => line.source.replace(/^node:/, '');

/** Nodes and GPUs, workers, router latency and rate, health and alerts: the site while it runs. */
export function MonitoringPage() {
  const [windowSeconds, setWindowSeconds] = useState<number>(WINDOWS[0].seconds);
  const gpuUtil = useSeries('gpu.util', windowSeconds, 'gpu:', gpuLabel);
  const gpuMem = useSeries('gpu.mem.used', windowSeconds, 'gpu:', gpuLabel);
  const cpu = useSeries('cpu.util', windowSeconds, undefined, hostLabel);
  const memory = useSeries('mem.used', windowSeconds, undefined, hostLabel);
  const requests = useSeries('router.requests', windowSeconds, 'router');
  const p50 = useSeries('router.ttft.p50', windowSeconds, 'router');
  const p99 = useSeries('router.ttft.p99', windowSeconds, 'router');
  const [router, reloadRouter] = useCall('router.status', {});
  usePolling(reloadRouter);
  const routerRunning = router.status === 'ok' && router.data.running;
  const ttft: ChartLine[] = [...p50.lines.map((l) => ({ ...l, label: 'TTFT p50' })), ...p99.lines.map((l) => ({ ...l, label: 'TTFT p99' }))];
  return (
    <div className="monitoring-page" data-testid="page-monitoring-live">
      <div className="monitoring-headline">
        <h1>Monitoring</h1>
        <div className="monitoring-windows" role="group" aria-label="time window">
          {WINDOWS.map((w) => (
            <button key={w.seconds} type="button" className={w.seconds === windowSeconds ? 'active' : ''} aria-pressed={w.seconds === windowSeconds} data-testid={`monitoring-window-${w.seconds}`} onClick={() => setWindowSeconds(w.seconds)}>
              {w.label}
            </button>
          ))}
        </div>
      </div>
      <HealthCard />
      <div className="grid">
        <ChartCard title="GPU utilisation" testId="monitoring-gpu-util" series={gpuUtil} empty="no GPU reports yet: scan the site on the Nodes page; GPU nodes report here while the site service runs" />
        <ChartCard title="GPU memory used" testId="monitoring-gpu-mem" series={gpuMem} empty="no GPU reports yet" />
        <ChartCard title="CPU (workstation, Jetsons, CPU nodes serving)" testId="monitoring-cpu" series={cpu} empty="no CPU samples yet" />
        <ChartCard title="Memory used (workstation, Jetsons, CPU nodes serving)" testId="monitoring-memory" series={memory} empty="no memory samples yet" />
        <ChartCard
          title="Router requests"
          testId="monitoring-router-rate"
          series={requests}
          empty={routerRunning ? 'the router is running; no request yet: connect an application on the Router page' : 'the router is not running: the site service starts it; see the Router page'}
        />
        <ChartCard title="Router time to first token" testId="monitoring-router-ttft" series={{ lines: ttft, unit: p50.unit || p99.unit, range: p50.range, error: p50.error ?? p99.error }} empty="no TTFT measured yet" />
      </div>
      <WorkersCard windowSeconds={windowSeconds} />
    </div>
  );
}

function ChartCard({ title, testId, series, empty }: { title: string; testId: string; series: ChartSeries; empty: string }) {
  return (
    <section className="card monitoring-card">
      <h2>{title}</h2>
      {series.error && <ErrorNote error={series.error} />}
      {series.lines.length === 0 ? (
        <p className="muted small" data-testid={`${testId}-empty`}>
          {empty}
        </p>
      ) : (
        <TimeChart lines={series.lines} unit={series.unit} range={series.range} testId={testId} />
      )}
    </section>
  );
}
