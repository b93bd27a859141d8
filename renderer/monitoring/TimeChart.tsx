import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { themeColor, useColorScheme } from '../components/theme.js';

export interface ChartLine {
  label: string;
  t: readonly number[];
  v: readonly number[];
}

/** Line colours are styles.css's --chart-1 … --chart-8, so that each theme has its own that read on its background. */
const PALETTE_SIZE = 8;

/** uPlot wants one shared x array: the union of every line's times, with null where a line has no bucket. */
export function alignLines(lines: readonly ChartLine[]): uPlot.AlignedData {
  const times = [...new Set(lines.flatMap((l) => l.t))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = lines.map((line) => {
    const column: Array<number | null> = new Array<number | null>(times.length).fill(null);
    line.t.forEach((t, i) => {
      const at = index.get(t);
      if (at !== undefined) column[at] = line.v[i] ?? null;
    });
    return column;
  });
  return [times, ...columns];
}

/** A time chart of a few lines (uPlot on a canvas), redrawn in place when the data changes. */
export function TimeChart({ lines, unit, testId, height = 180 }: { lines: readonly ChartLine[]; unit: string; testId: string; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => l.label).join('\n');
  const scheme = useColorScheme();

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const width = Math.max(300, element.clientWidth);
    const text = themeColor('muted');
    const grid = themeColor('line');
    const options: uPlot.Options = {
      width,
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid }, label: unit, size: 56 },
      ],
      series: [{}, ...lines.map((l, i) => ({ label: l.label, stroke: themeColor(`chart-${(i % PALETTE_SIZE) + 1}`), width: 1.5, spanGaps: false }))],
    };
    plot.current = new uPlot(options, alignLines(lines), element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its set of lines or the theme changes; new points go through setData below.
  }, [shape, unit, height, scheme]);

  useEffect(() => {
    plot.current?.setData(alignLines(lines));
  }, [lines]);

  return <div className="monitoring-chart" data-testid={testId} data-lines={lines.length} data-points={lines.reduce((n, l) => n + l.t.length, 0)} ref={host} />;
}
