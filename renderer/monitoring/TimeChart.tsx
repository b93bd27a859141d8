import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { themeColor, useColorScheme } from '../components/theme.js';

export interface ChartLine {
  label: string;
  t: readonly number[];
  /** null: a bucket with no sample, drawn as a gap. */
  v: ReadonlyArray<number | null>;
}

/** The time span the chart shows, seconds since the epoch: the selected window, whatever the data covers. */
export interface ChartRange {
  from: number;
  to: number;
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

/** Stretches of empty buckets between two drawn ones, over all lines: what the chart leaves as gaps. */
function gapsIn(data: uPlot.AlignedData): number {
  let gaps = 0;
  for (const column of data.slice(1)) {
    let seenValue = false;
    let inGap = false;
    for (const v of column) {
      if (v === null || v === undefined) inGap = seenValue;
      else {
        if (inGap) gaps += 1;
        seenValue = true;
        inGap = false;
      }
    }
  }
  return gaps;
}

const stepped = uPlot.paths.stepped?.({ align: 1 });

/**
 * A time chart of a few lines (uPlot on a canvas), redrawn in place when the data changes. The x axis is the
 * window asked for; buckets without samples stay gaps (no line across them) and each bucket is a step with a point,
 * so sparse samples read as what they are.
 */
export function TimeChart({ lines, unit, testId, range, height = 180 }: { lines: readonly ChartLine[]; unit: string; testId: string; range: ChartRange; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const rangeRef = useRef(range);
  rangeRef.current = range;
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
      scales: { x: { time: true, range: () => [rangeRef.current.from, rangeRef.current.to] } },
      axes: [
        { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid } },
        { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid }, label: unit, size: 56 },
      ],
      series: [{}, ...lines.map((l, i) => ({ label: l.label, stroke: themeColor(`chart-${(i % PALETTE_SIZE) + 1}`), width: 1.5, spanGaps: false, paths: stepped, points: { show: true, size: 4 } }))],
      hooks: {
        // What the tests read: the span the axis really drew and the gaps left open.
        draw: [
          (u) => {
            element.dataset.axisFrom = String(u.scales.x?.min ?? '');
            element.dataset.axisTo = String(u.scales.x?.max ?? '');
            element.dataset.gaps = String(gapsIn(u.data));
            element.dataset.spanGaps = String(u.series.slice(1).some((s) => s.spanGaps === true));
          },
        ],
      },
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
  }, [lines, range.from, range.to]);

  return <div className="monitoring-chart" data-testid={testId} data-lines={lines.length} data-points={lines.reduce((n, l) => n + l.v.filter((v) => v !== null).length, 0)} ref={host} />;
}
