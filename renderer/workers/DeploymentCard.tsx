import { useCallback, useEffect, useState } from 'react';
import type { Deployment, Worker } from '../../shared/domain/workers.js';
import { asCallError, useClient, useEvent } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useNow } from './useNow.js';
import { PlanVsActual } from './PlanVsActual.js';
import { RolloutControls } from './RolloutControls.js';

const uptime = (worker: Worker, now: number): string => {
  if (worker.state !== 'running' || !worker.startedAt) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(worker.startedAt)) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};

/** One row per plan stage: where its layers sit among all the model's layers, and on which host. */
function DeploymentStages({ deployment }: { deployment: Deployment }) {
  const layers = deployment.stages.reduce((n, s) => n + s.layerCount, 0) || 1;
  return (
    <div className="workers-stages" data-testid="workers-stages">
      {deployment.stages.map((stage) => (
        <div key={stage.index} className="workers-stage">
          <span className="workers-stage-label">
            {stage.index + 1}. {stage.node} <span className="muted">({stage.gpu})</span>
          </span>
          <div className="workers-track" title={`layers ${stage.firstLayer}–${stage.lastLayer}${stage.holdsOutput ? ' + output' : ''}`}>
            <div className="workers-layers" style={{ left: `${(stage.firstLayer / layers) * 100}%`, width: `${(stage.layerCount / layers) * 100}%` }}>
              {stage.firstLayer}–{stage.lastLayer}
              {stage.holdsOutput ? ' +out' : ''}
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}

function WorkerTable({ deployment, selected, onSelect }: { deployment: Deployment; selected: string; onSelect: (name: string) => void }) {
  const now = useNow(1000);
  return (
    <table className="table workers-table" data-testid="workers-table">
      <thead>
        <tr>
          <th scope="col">Worker</th>
          <th scope="col">Host</th>
          <th scope="col">State</th>
          <th scope="col">Pid</th>
          <th scope="col">Up</th>
          <th scope="col">Restarts</th>
          <th scope="col">Listens</th>
        </tr>
      </thead>
      <tbody>
        {deployment.workers.map((w) => (
          <tr key={w.name} className={w.name === selected ? 'workers-selected' : ''} onClick={() => onSelect(w.name)} data-testid={`worker-${w.name}`}>
            <td>
              {/* The row is clickable; this button makes the same choice by keyboard. */}
              <button type="button" className="link-button mono" aria-pressed={w.name === selected} onClick={() => onSelect(w.name)}>
                {w.name}
              </button>
            </td>
            <td>{w.node}</td>
            <td>
              <span className={`workers-state workers-state-${w.state}`}>{w.state}</span>
              {w.lastError ? <span className="muted small"> {w.lastError}</span> : null}
            </td>
            <td className="mono">{w.pid ?? '—'}</td>
            <td>{uptime(w, now)}</td>
            <td data-testid={`worker-${w.name}-restarts`}>{w.restarts}</td>
            <td className="mono">{w.listen ? `${w.listen.host}:${w.listen.port}` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LogTail({ deployment, worker }: { deployment: Deployment; worker: string }) {
  const client = useClient();
  const [lines, setLines] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    const load = (): void =>
      void client
        .call('workers.logs', { deployment: deployment.id, worker, lines: 12 })
        .then((tails) => live && setLines(tails[0]?.lines ?? []))
        .catch(() => undefined);
    load();
    const timer = setInterval(load, 2000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, deployment.id, worker]);
  return (
    // Focusable, so that the arrow keys scroll it.
    <pre className="workers-log" tabIndex={0} role="log" aria-label={`Log of ${worker}`} data-testid="workers-log">
      {lines.map((l) => l.slice(0, 220)).join('\n') || '(no output yet)'}
    </pre>
  );
}

function PromptBox({ deployment }: { deployment: Deployment }) {
  const client = useClient();
  const [prompt, setPrompt] = useState('Tell the site a short story.');
  const [requestId, setRequestId] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [figures, setFigures] = useState<string | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  useEvent(
    'workers.promptToken',
    useCallback(
      (payload: { requestId: string; text: string }) => {
        if (payload.requestId === requestId) setText((t) => t + payload.text);
      },
      [requestId],
    ),
  );
  const send = (): void => {
    const id = `ui-${Date.now().toString(36)}`;
    setRequestId(id);
    setText('');
    setFigures(null);
    setError(null);
    client
      .call('workers.prompt', { deployment: deployment.id, prompt, maxTokens: 64, requestId: id })
      .then((r) => setFigures(`${r.tokens} tokens · ${r.tokensPerSecond.toFixed(0)} tokens/s · first token after ${r.ttftMs.toFixed(0)} ms`))
      .catch((e: unknown) => setError(asCallError(e)));
  };
  return (
    <div className="workers-prompt">
      <div className="workers-prompt-row">
        <input value={prompt} onChange={(e) => setPrompt(e.target.value)} aria-label="Test prompt" data-testid="workers-prompt-input" />
        <button onClick={send} disabled={deployment.state !== 'ready' && deployment.state !== 'degraded'} data-testid="workers-prompt-send">
          Send test prompt
        </button>
      </div>
      <div className="workers-answer" data-testid="workers-answer">
        {text}
      </div>
      {figures && (
        <div className="muted small" data-testid="workers-answer-figures">
          {figures}
        </div>
      )}
      {error && <ErrorNote error={error} />}
    </div>
  );
}

type Action = 'stop' | 'restart' | 'go back';
const ACTION_CALL = { stop: 'workers.stop', restart: 'workers.restart', 'go back': 'workers.restore' } as const;
const ACTION_QUESTION: Record<Action, string> = {
  stop: 'Stop every process of this deployment and withdraw it from the router?',
  restart: 'Restart the whole pipeline? Requests in flight fail.',
  'go back': 'Launch the original plan again on its hosts, move the traffic to it once it is ready, then stop this replacement?',
};

const ACTIONS: ReadonlyArray<{ action: Action; label: string; testId: string; className: string }> = [
  { action: 'go back', label: 'Go back to the original plan', testId: 'workers-restore', className: '' },
  { action: 'restart', label: 'Restart', testId: 'workers-restart', className: '' },
  { action: 'stop', label: 'Stop', testId: 'workers-stop', className: 'danger' },
];

/** Stop, Restart and Go back each ask first: each interrupts or moves the site's traffic to this deployment. */
function Actions({ deployment, onChanged }: { deployment: Deployment; onChanged: () => void }) {
  const client = useClient();
  /** The action whose question is open: the other buttons step aside meanwhile. */
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CallError | null>(null);
  const run = (action: Action): void => {
    setBusy(true);
    client
      .call(ACTION_CALL[action], { deployment: deployment.id })
      .then(() => onChanged())
      .catch((e: unknown) => setError(asCallError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <div className="workers-actions">
      {ACTIONS.filter(({ action }) => (confirming === null || confirming === action) && (action !== 'go back' || deployment.replan?.canRestore)).map(({ action, label, testId, className }) => (
        <ConfirmButton
          key={action}
          testId={testId}
          confirmTestId="workers-confirm"
          yesTestId="workers-confirm-yes"
          className={className}
          disabled={busy}
          label={label}
          question={ACTION_QUESTION[action]}
          yesLabel={`Yes, ${action}`}
          onConfirm={() => run(action)}
          onOpenChange={(open) => setConfirming(open ? action : null)}
        />
      ))}
      {error && <ErrorNote error={error} />}
    </div>
  );
}

export function DeploymentCard({ deployment, onChanged }: { deployment: Deployment; onChanged: () => void }) {
  const [selected, setSelected] = useState('head');
  return (
    <section className="card workers-deployment" data-testid={`deployment-${deployment.id}`}>
      <div className="workers-headline">
        <h2>
          <span className="mono">{deployment.id}</span> · {deployment.model}
          {deployment.modelVersion && <span data-testid="deployment-version"> version {deployment.modelVersion}</span>}
        </h2>
        <span className={`workers-state workers-state-${deployment.state}`} data-testid="deployment-state">
          {deployment.state}
        </span>
        <Actions deployment={deployment} onChanged={onChanged} />
      </div>
      <p className="muted small">
        {deployment.engine} · RPC over {deployment.rpcTransport === 'ssh' ? 'one-port SSH tunnels' : 'the LAN (unauthenticated)'} · plan {deployment.planId}
        {deployment.apiUrl ? ` · ${deployment.apiUrl}` : ''}
        {deployment.tokensPerSecond ? ` · test prompt ${deployment.tokensPerSecond.toFixed(0)} tokens/s` : ''}
        {deployment.endpoint ? ' · routed' : ' · not routed'}
      </p>
      {deployment.detail && <p className="small">{deployment.detail}</p>}
      {deployment.replan && (
        <p className="small" data-testid="deployment-replan">
          {deployment.replan.state === 'replacement' ? (deployment.replan.canRestore ? 'Replacement, can go back: ' : 'Replacement: ') : `Re-plan ${deployment.replan.state}: `}
          {deployment.replan.detail}
        </p>
      )}
      <RolloutControls deployment={deployment} onChanged={onChanged} />
      <DeploymentStages deployment={deployment} />
      {deployment.actuals && <PlanVsActual actuals={deployment.actuals} />}
      <WorkerTable deployment={deployment} selected={selected} onSelect={setSelected} />
      <h3 className="small">
        Log of <span className="mono">{selected}</span>
      </h3>
      <LogTail deployment={deployment} worker={selected} />
      <PromptBox deployment={deployment} />
    </section>
  );
}
