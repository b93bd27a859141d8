import { useState } from 'react';
import type { CallError } from '../api/client.js';
import { asCallError } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';

export interface SectionSave {
  busy: boolean;
  saved: boolean;
  error: CallError | null;
  /** Runs the section's set call; on success `readBack` fetches what the service now holds. */
  save(work: () => Promise<unknown>): void;
}

/** How a settings section is saved: one call, then read back; a refusal kept to show by each field. */
export function useSectionSave(readBack: () => void): SectionSave {
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<CallError | null>(null);
  const save = (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    work()
      .then(() => {
        setSaved(true);
        readBack();
      })
      .catch((caught: unknown) => setError(asCallError(caught)))
      .finally(() => setBusy(false));
  };
  return { busy, saved, error, save };
}

/** The section's Save button and what came of the last save: "saved", or why not (the fields say what was wrong with each). */
export function SaveBar({ section, state, label, busyLabel, savedText }: { section: string; state: SectionSave; label: string; busyLabel: string; savedText: string }) {
  const { error } = state;
  return (
    <>
      {error && Object.keys(error.fields).length === 0 && <ErrorNote error={error} />}
      {error && Object.keys(error.fields).length > 0 && (
        <p className="setting-error" data-testid={`settings-${section}-error`}>
          Not saved: {error.message}
          {error.hint ? ` — ${error.hint}` : ''}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" disabled={state.busy} data-testid={`settings-${section}-save`}>
          {state.busy ? busyLabel : label}
        </button>
        {state.saved && (
          <span className="ok" role="status" data-testid={`settings-${section}-saved`}>
            {savedText}
          </span>
        )}
      </div>
    </>
  );
}
