import { useCallback, useState } from 'react';
import type { SetupState, SetupStepId } from '../../shared/domain/setup.js';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { NodesTable } from '../nodes/NodesTable.js';
import { ScanForm } from '../nodes/ScanForm.js';
import { IdentityCard } from '../overview/IdentityCard.js';
import { TrustCard } from '../sync/TrustCard.js';
import { HostKeyReview } from './HostKeyReview.js';
import { SshKeyCard } from './SshKeyCard.js';

const PAGE_LABELS: Record<string, string> = { overview: 'Overview', nodes: 'Nodes', sync: 'Sync' };

/**
 * The first visit as one guided flow. Which steps are done, and which is next, is the service's answer
 * (setup.state), so a reload or a restart resumes at the right step; each step names the page it lives on.
 */
export function SetupPage() {
  const [state, reload] = useCall('setup.state', {});
  const [viewing, setViewing] = useState<SetupStepId | null>(null);
  const refresh = useCallback(() => {
    setViewing(null);
    reload();
  }, [reload]);
  useEvent('identity.changed', refresh);
  useEvent(
    'discovery.scanFinished',
    useCallback(() => reload(), [reload]),
  );
  if (state.status === 'loading') return <p className="muted">loading…</p>;
  if (state.status === 'error') return <ErrorNote error={state.error} />;
  const shown = viewing ?? state.data.current;
  return (
    <div className="setup-page" data-testid="setup-page" data-current={state.data.current}>
      <h1>First visit</h1>
      <div className="setup-layout">
        <ol className="setup-steps" aria-label="Steps">
          {state.data.steps.map((step, index) => (
            <li key={step.id} className={`${step.done ? 'done' : ''} ${step.id === shown ? 'shown' : ''}`} data-testid={`setup-step-${step.id}`} data-done={step.done}>
              <button type="button" className="setup-step-button" onClick={() => setViewing(step.id)} aria-current={step.id === shown ? 'step' : undefined}>
                <span className="setup-step-mark">{step.done ? '✓' : index + 1}</span> {step.title}
              </button>
              <span className="small muted setup-step-detail">{step.detail}</span>
              <a href={`#/${step.page}`} className="small" data-testid={`setup-step-${step.id}-link`}>
                later on the {PAGE_LABELS[step.page] ?? step.page} page
              </a>
            </li>
          ))}
        </ol>
        <div className="setup-body" data-testid={`setup-body-${shown}`}>
          <StepBody step={shown} onDone={refresh} />
        </div>
      </div>
    </div>
  );
}

function StepBody({ step, onDone }: { step: SetupStepId; onDone: (state?: SetupState) => void }) {
  switch (step) {
    case 'identity':
      return <IdentityStep onDone={onDone} />;
    case 'ssh-key':
      return <SshKeyCard onConfirmed={onDone} />;
    case 'hq-trust':
      return (
        <div className="stack">
          <p>
            HQ signs the models and policies it sends in bundles. Add HQ's trust file (on the drive HQ gave you; HQ writes it with <code>outpost trust export</code>) and compare its fingerprint with HQ.
          </p>
          <TrustCard role="hq" withExport={false} onChanged={onDone} />
        </div>
      );
    case 'scan':
      return <ScanForm onFinished={onDone} />;
    case 'host-keys':
    case 'inventory':
      return <NodesStep step={step} onDone={onDone} />;
  }
}

function IdentityStep({ onDone }: { onDone: () => void }) {
  const [identity, reload] = useCall('identity.show', {});
  return (
    <IdentityCard
      identity={identity}
      onCreated={() => {
        reload();
        onDone();
      }}
    />
  );
}

function NodesStep({ step, onDone }: { step: 'host-keys' | 'inventory'; onDone: () => void }) {
  const [nodes, reload] = useCall('discovery.nodes', {});
  useEvent(
    'discovery.scanFinished',
    useCallback(() => reload(), [reload]),
  );
  if (nodes.status === 'loading') return <p className="muted">loading…</p>;
  if (nodes.status === 'error') return <ErrorNote error={nodes.error} />;
  const changed = () => {
    reload();
    onDone();
  };
  if (step === 'host-keys') return <HostKeyReview nodes={nodes.data} onChanged={changed} onReviewed={onDone} />;
  return (
    <section className="card">
      <h2>Site inventory</h2>
      <NodesTable nodes={nodes.data} onChanged={changed} />
      <p>
        Next: <a href="#/plan">plan a model</a> on these nodes.
      </p>
    </section>
  );
}
