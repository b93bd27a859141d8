/** A horizontal fill bar: memory, disk, later GPU memory. */
export function Meter({ used, total, label, testId }: { used: number; total: number; label: string; testId?: string }) {
  const fraction = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  const level = fraction > 0.9 ? 'high' : fraction > 0.7 ? 'mid' : 'low';
  return (
    <div className="meter" data-testid={testId} title={label}>
      <div className="meter-track" role="meter" aria-valuemin={0} aria-valuemax={total} aria-valuenow={used} aria-label={label}>
        <div className={`meter-fill ${level}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <span className="meter-label">{label}</span>
    </div>
  );
}
