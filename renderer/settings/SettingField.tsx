/** One labelled input of a settings form, with the service's complaint about it (if any) right below it. */
export function SettingField({ name, label, unit, value, onChange, error, hint }: { name: string; label: string; unit?: string; value: string; onChange: (value: string) => void; error: string | undefined; hint?: string }) {
  const errorId = `setting-${name}-error`;
  const hintId = `setting-${name}-hint`;
  const described = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ');
  return (
    <div className="setting-field">
      <label htmlFor={`setting-${name}`}>
        {label}
        {unit ? <span className="muted"> ({unit})</span> : null}
      </label>
      <input id={`setting-${name}`} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={described || undefined} data-testid={`setting-${name}`} />
      {hint && (
        <p id={hintId} className="muted small setting-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="setting-error" role="alert" data-testid={`setting-${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** What the form sends for a number field: the number when it reads as one, else the text itself for the service to refuse by name. */
export function asNumber(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}
