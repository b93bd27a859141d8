/** Small inline SVG charts: no chart library, no canvas, nothing that needs a looser CSP. */

export function Sparkline({ values, width = 120, height = 28, testId }: { values: readonly number[]; width?: number; height?: number; testId?: string }) {
  if (values.length < 2) return <span className="muted small">{values.length === 1 ? `${values[0]} ms` : 'no samples'}</span>;
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  return (
    <svg className="router-sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`TTFT, last ${values.length} requests, up to ${Math.round(max)} ms`} data-testid={testId}>
      <polyline points={points} fill="none" strokeWidth="1.5" />
    </svg>
  );
}

export interface Series {
  label: string;
  className: string;
  values: ReadonlyArray<number | null>;
}

/** A line chart over the last seconds, one polyline per series, with its max on the axis. */
export function LineChart({ series, unit, testId }: { series: Series[]; unit: string; testId: string }) {
  const width = 460;
  const height = 120;
  const length = Math.max(1, ...series.map((s) => s.values.length));
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const x = (i: number) => (length === 1 ? 0 : (i / (length - 1)) * (width - 40)) + 36;
  const y = (v: number) => height - 16 - (v / max) * (height - 26);
  return (
    <figure className="router-chart" data-testid={testId}>
      <svg width="100%" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${series.map((s) => s.label).join(', ')} over the last ${length} seconds`}>
        <line x1="36" y1={height - 16} x2={width - 4} y2={height - 16} className="router-axis" />
        <text x="2" y="14" className="router-axis-label">{`${Math.round(max)} ${unit}`}</text>
        <text x="2" y={height - 12} className="router-axis-label">
          0
        </text>
        <text x={width - 4} y={height - 2} textAnchor="end" className="router-axis-label">
          now
        </text>
        {series.map((s) => {
          const points = s.values.flatMap((v, i) => (v === null ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`])).join(' ');
          return <polyline key={s.label} points={points} className={s.className} fill="none" strokeWidth="1.5" />;
        })}
      </svg>
      <figcaption className="small">
        {series.map((s) => (
          <span key={s.label} className={`router-legend ${s.className}`}>
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
