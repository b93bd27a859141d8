import type { CallError } from '../api/client.js';

/** What went wrong and what to do, as the core said it. */
export function ErrorNote({ error }: { error: CallError }) {
  return (
    <div className="error-note" role="alert" data-testid="error-note">
      <strong>{error.message}</strong>
      {error.hint ? <span> — {error.hint}</span> : null}
    </div>
  );
}
