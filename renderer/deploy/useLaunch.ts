import { useCallback, useState } from 'react';
import type { CallInput } from '../../shared/contract/index.js';
import { LAUNCH_PHASES, type Deployment, type LaunchProgress } from '../../shared/domain/workers.js';
import type { CallError } from '../api/client.js';
import { asCallError, useClient, useEvent } from '../api/hooks.js';

// A launch's own phases: 'rollback' is shown apart, and 'switch' belongs to a rollout.
export const FORWARD_PHASES = LAUNCH_PHASES.filter((p) => p !== 'rollback' && p !== 'switch');
export type ForwardPhase = (typeof FORWARD_PHASES)[number];
export type PhaseState = 'pending' | 'active' | 'done' | 'failed';

export interface LaunchView {
  deploymentId: string;
  status: 'running' | 'cancelling' | 'ready' | 'failed' | 'cancelled';
  phases: Record<ForwardPhase, { state: PhaseState; message: string | null }>;
  transfer: LaunchProgress['transfer'] | null;
  rollback: string | null;
  error: CallError | null;
  /** The deployment as the service answered it (ready), or as it was left (after a failure or a cancel). */
  deployment: Deployment | null;
}

type LaunchOptions = Omit<CallInput<'workers.launch'>, 'deploymentId' | 'planId'>;

/** A deployment id made here, so the window can follow and cancel the launch before the call returns. */
function newDeploymentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return `dep-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function initialView(deploymentId: string): LaunchView {
  const phases = Object.fromEntries(FORWARD_PHASES.map((p) => [p, { state: 'pending', message: null }])) as LaunchView['phases'];
  return { deploymentId, status: 'running', phases, transfer: null, rollback: null, error: null, deployment: null };
}

/** A phase's event ticks the phases before it: a launch that copies nothing never reports the copy. */
function advance(view: LaunchView, progress: LaunchProgress): LaunchView {
  if (progress.phase === 'rollback') return { ...view, rollback: progress.message };
  // A rollout's switch of traffic comes after a launch's own phases; a launch never reports it.
  if (progress.phase === 'switch') return view;
  const at = FORWARD_PHASES.indexOf(progress.phase);
  const phases = { ...view.phases };
  FORWARD_PHASES.forEach((phase, i) => {
    if (i < at && phases[phase].state !== 'done') phases[phase] = { ...phases[phase], state: 'done' };
  });
  phases[progress.phase] = { state: progress.fraction === 1 ? 'done' : 'active', message: progress.message };
  return { ...view, phases, transfer: progress.phase === 'model' && progress.transfer ? progress.transfer : view.transfer };
}

function settle(view: LaunchView, outcome: 'ready' | 'failed' | 'cancelled'): LaunchView {
  const phases = { ...view.phases };
  for (const phase of FORWARD_PHASES) {
    const { state } = phases[phase];
    if (outcome === 'ready') phases[phase] = { ...phases[phase], state: 'done' };
    else if (state === 'active') phases[phase] = { ...phases[phase], state: 'failed' };
  }
  return { ...view, phases, status: outcome };
}

/** Runs workers.launch for a plan and follows its workers.launchProgress events; cancel goes through workers.stop. */
export function useLaunch(planId: string) {
  const client = useClient();
  const [view, setView] = useState<LaunchView | null>(null);
  useEvent(
    'workers.launchProgress',
    useCallback((progress: LaunchProgress) => setView((v) => (v && v.deploymentId === progress.deploymentId ? advance(v, progress) : v)), []),
  );
  const start = useCallback(
    async (options: LaunchOptions) => {
      const deploymentId = newDeploymentId();
      setView(initialView(deploymentId));
      try {
        const deployment = await client.call('workers.launch', { ...options, planId, deploymentId });
        setView((v) => v && { ...settle(v, 'ready'), deployment });
      } catch (caught) {
        const error = asCallError(caught);
        // What the launch left, as the service recorded it (nothing, when it stopped before preflight passed).
        const left = (await client.call('workers.list', { all: true }).catch(() => [])).find((d) => d.id === deploymentId) ?? null;
        setView((v) => v && { ...settle(v, error.code === 'CANCELLED' ? 'cancelled' : 'failed'), error, deployment: left });
      }
    },
    [client, planId],
  );
  const cancel = useCallback(async () => {
    if (!view || view.status !== 'running') return;
    setView((v) => v && { ...v, status: 'cancelling' });
    // The launch call itself answers with how it ended; a stop before anything was recorded has no deployment to show.
    await client.call('workers.stop', { deployment: view.deploymentId }).catch(() => undefined);
  }, [client, view]);
  return { view, start, cancel };
}
