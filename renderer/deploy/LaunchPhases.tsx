import { describeTransfer } from '../../shared/transfer-text.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { FORWARD_PHASES, type ForwardPhase, type LaunchView, type PhaseState } from './useLaunch.js';

const PHASE_LABELS: Record<ForwardPhase, string> = {
  preflight: 'Preflight: hosts, engine, memory, ports',
  model: 'Model copy',
  keys: 'Tunnel keys',
  start: 'Start the engine processes',
  ready: 'Wait until the model is loaded',
  test: 'Test prompt',
  register: 'Register with the router',
};

const STATE_WORDS: Record<PhaseState, string> = { pending: 'waiting', active: 'running', done: 'done', failed: 'failed' };
const STATE_MARKS: Record<PhaseState, string> = { pending: '○', active: '…', done: '✓', failed: '✗' };

/** Each phase of a launch with its state in words, the copy's pace, a rollback and how the launch ended. */
export function LaunchPhases({ view }: { view: LaunchView }) {
  return (
    <div className="launch-phases" data-testid="launch-phases">
      <p className="small">
        Deployment{' '}
        <span className="mono" data-testid="launch-deployment-id">
          {view.deploymentId}
        </span>
      </p>
      <ol>
        {FORWARD_PHASES.map((phase) => {
          const { state, message } = view.phases[phase];
          return (
            <li key={phase} className={`launch-phase launch-phase-${state}`} data-testid={`launch-phase-${phase}`} data-state={state}>
              <span className="launch-phase-mark" aria-hidden="true">
                {STATE_MARKS[state]}
              </span>
              <span className="launch-phase-label">{PHASE_LABELS[phase]}</span>
              <span className="launch-phase-state">{STATE_WORDS[state]}</span>
              {message && <span className="muted small launch-phase-message">{message}</span>}
              {phase === 'model' && view.transfer && <CopyBar transfer={view.transfer} />}
            </li>
          );
        })}
      </ol>
      {view.rollback && (
        <p className="warn" data-testid="launch-rollback">
          Rollback: {view.rollback}
        </p>
      )}
      {view.error && <ErrorNote error={view.error} />}
      <LaunchOutcome view={view} />
    </div>
  );
}

/** How far the model copy is, with its pace and time left in words beside the bar. */
function CopyBar({ transfer }: { transfer: NonNullable<LaunchView['transfer']> }) {
  const percent = transfer.totalBytes > 0 ? Math.round((transfer.doneBytes / transfer.totalBytes) * 100) : 100;
  const label = describeTransfer(transfer);
  return (
    <div className="launch-copy" data-testid="launch-transfer">
      <div className="meter-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label={`model copy: ${label}`}>
        <div className="meter-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="meter-label">
        {percent}% · {label}
      </span>
    </div>
  );
}

function LaunchOutcome({ view }: { view: LaunchView }) {
  const d = view.deployment;
  if (view.status === 'ready' && d) {
    return (
      <div className="launch-outcome ok" data-testid="launch-ready">
        <p>
          <strong>Ready.</strong> <span data-testid="launch-test-result">{d.detail ?? `${d.tokensPerSecond?.toFixed(0) ?? '—'} tokens/s`}</span>
        </p>
        <p>
          <a href="#/workers" data-testid="launch-open-workers">
            Open {d.id} on the Workers page
          </a>
        </p>
      </div>
    );
  }
  if (view.status === 'failed' || view.status === 'cancelled') {
    return (
      <p className="launch-outcome" data-testid="launch-final-state">
        Final state: {d ? `${d.id} ${d.state}${d.detail ? ` — ${d.detail}` : ''}` : 'nothing was started'}
      </p>
    );
  }
  return null;
}
