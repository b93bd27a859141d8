import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { LaunchForm } from './LaunchForm.js';
import { LaunchPhases } from './LaunchPhases.js';
import { useLaunch } from './useLaunch.js';

/**
 * Launch a stored plan from the window: engine options and login, then the launch's phases live. Enter launches,
 * Escape closes; while the launch runs Escape asks whether to cancel it (a cancel rolls back what was started).
 */
export function LaunchDialog({ planId, onClose }: { planId: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { view, start, cancel } = useLaunch(planId);
  const [confirming, setConfirming] = useState(false);
  const running = view?.status === 'running' || view?.status === 'cancelling';
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  const onEscape = (event: SyntheticEvent) => {
    event.preventDefault();
    if (running) setConfirming(true);
    else onClose();
  };
  return (
    <dialog ref={dialog} className="launch-dialog" onCancel={onEscape} aria-labelledby="launch-title" data-testid="launch-dialog">
      <h2 id="launch-title">Launch {planId}</h2>
      {view === null ? (
        <LaunchForm planId={planId} onLaunch={(options) => void start(options)} onClose={onClose} />
      ) : (
        <>
          <LaunchPhases view={view} />
          <div className="launch-actions">
            {running &&
              (confirming ? (
                <span className="confirm-inline" data-testid="launch-cancel-confirm">
                  Stop this launch? What it started is stopped and its keys removed.{' '}
                  <button
                    type="button"
                    className="danger"
                    autoFocus
                    onClick={() => {
                      setConfirming(false);
                      void cancel();
                    }}
                    data-testid="launch-cancel-yes"
                  >
                    Yes, stop the launch
                  </button>{' '}
                  <button type="button" onClick={() => setConfirming(false)}>
                    Keep launching
                  </button>
                </span>
              ) : (
                <button type="button" className="danger" disabled={view.status === 'cancelling'} onClick={() => setConfirming(true)} data-testid="launch-cancel">
                  {view.status === 'cancelling' ? 'Stopping…' : 'Cancel launch…'}
                </button>
              ))}
            {!running && (
              <button type="button" onClick={onClose} autoFocus data-testid="launch-close">
                Close
              </button>
            )}
          </div>
        </>
      )}
    </dialog>
  );
}
