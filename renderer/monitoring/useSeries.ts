import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SeriesLine } from '../../shared/domain/telemetry.js';
import type { CallError } from '../api/client.js';
import { useCall, useEvent } from '../api/hooks.js';
import type { ChartLine, ChartRange } from './TimeChart.js';

export const WINDOWS = [
  { label: '15 min', seconds: 900 },
  { label: '1 h', seconds: 3600 },
  { label: '24 h', seconds: 86_400 },
  { label: '72 h', seconds: 259_200 },
] as const;

const REFRESH_MS = 2_000;

/** Calls `refresh` every couple of seconds while the page is shown (the sampler stores a tick a second). */
export function usePolling(refresh: () => void): void {
  useEffect(() => {
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);
}

export interface ChartSeries {
  lines: ChartLine[];
  unit: string;
  /** The window the service bucketed: the chart's x axis. */
  range: ChartRange;
  error: CallError | null;
}

const bySource = (line: SeriesLine): string => line.source;

/** One metric's chart lines over the window (source: exact or a prefix such as `gpu:`), live. */
export function useSeries(metric: string, windowSeconds: number, source?: string, label: (line: SeriesLine) => string = bySource): ChartSeries {
  const [tick, setTick] = useState(0);
  // A new `from` each refresh moves the window with time (and makes the call run again).
  const from = useMemo(() => Math.floor(Date.now() / 1000) - windowSeconds, [windowSeconds, tick]);
  // Every bucket of the window, null where nothing was stored: the chart draws those as gaps.
  const [state] = useCall('telemetry.series', { metric, source, from, maxPoints: 400, emptyBuckets: 'null' });
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  // Each stored tick is new data; the polling covers a window whose sampler runs in another process.
  useEvent('telemetry.tick', refresh);
  usePolling(refresh);
  return useMemo(() => {
    if (state.status !== 'ok') return { lines: [], unit: '', range: { from, to: from + windowSeconds }, error: state.status === 'error' ? state.error : null };
    const { data } = state;
    return { lines: data.lines.map((l) => ({ label: label(l), t: l.t, v: l.avg })), unit: data.lines[0]?.unit ?? '', range: { from: data.from, to: data.to }, error: null };
  }, [state, label, from, windowSeconds]);
}
