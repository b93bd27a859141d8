import type { DeploymentState } from '../../../shared/domain/workers.js';
import type { JournalRecord } from '../../platform/store/index.js';
import type { DeploymentStore, RemoteHosts } from './ports.js';
import { deploymentKeyMarker, ownedWorkersScript, parseOwnedWorkers, removeKeysScript, stopPidsScript, type OwnedWorker } from './remote-scripts.js';

const STOP_GRACE_SECONDS = 5;
const SCAN_TIMEOUT_MS = 15_000;

/** A deployment in one of these states owns its processes (a launch, a supervisor or a Stop is at work on it). */
const RUNNING_STATES: ReadonlySet<DeploymentState> = new Set(['launching', 'ready', 'degraded', 'stopping']);

export interface OrphanSweepPorts {
  repository: Pick<DeploymentStore, 'get'>;
  journal: { record(entry: JournalRecord): void };
  /** This data dir's owner tag value (see ownerTag). */
  owner: string;
  /** Who sweeps, for the journal: `supervisor` or `launch`. */
  by: string;
}

export interface StoppedOrphan extends OwnedWorker {
  node: string;
  /** The deployment's state in the store, or `unknown`. */
  deploymentState: string;
}

export interface OrphanSweep {
  stopped: StoppedOrphan[];
  /** Nodes that could not be asked. */
  unreachable: string[];
}

/**
 * Stops, on each node, the processes this data dir's core started for a deployment that no longer runs — stopped,
 * failed, or not in the store: what a core or a launch killed outright, or a Stop that could not reach a host, left
 * behind. Each is journaled as `workers.orphan-stopped`. Nodes are swept one after another: hosts may share one
 * kernel (the simulated site), and a process stopped through the first must not be reported again by the next.
 * The deployment's tunnel key lines go with its processes.
 */
export async function stopOrphans(hosts: RemoteHosts, nodes: readonly string[], ports: OrphanSweepPorts): Promise<OrphanSweep> {
  const sweep: OrphanSweep = { stopped: [], unreachable: [] };
  for (const node of nodes) {
    try {
      const found = parseOwnedWorkers(await hosts.check(node, ownedWorkersScript(ports.owner), 'looking for leftover workers', { timeoutMs: SCAN_TIMEOUT_MS }));
      const orphans = found.map((p) => ({ ...p, node, deploymentState: ports.repository.get(p.deploymentId)?.state ?? 'unknown' })).filter((p) => !RUNNING_STATES.has(p.deploymentState as DeploymentState));
      if (!orphans.length) continue;
      const out = await hosts.check(node, stopPidsScript(orphans, STOP_GRACE_SECONDS), 'stopping leftover workers', { timeoutMs: (STOP_GRACE_SECONDS + 15) * 1000 });
      const signalled = new Set([...out.matchAll(/^term (\d+)$/gm)].map((m) => Number(m[1])));
      for (const orphan of orphans.filter((o) => signalled.has(o.pid))) {
        sweep.stopped.push(orphan);
        ports.journal.record({
          actor: 'system',
          user: ports.by,
          action: 'workers.orphan-stopped',
          input: { node, deployment: orphan.deploymentId, worker: orphan.worker, pid: orphan.pid },
          outcome: 'ok',
          detail: `${orphan.worker} of ${orphan.deploymentId} (${orphan.deploymentState}) was still running on ${node} as pid ${orphan.pid}, left by an earlier run; stopped`,
        });
      }
      // Its tunnel key may have been left with it (the Stop that should have removed it never reached this host).
      for (const deploymentId of new Set(orphans.map((o) => o.deploymentId))) await hosts.check(node, removeKeysScript(deploymentKeyMarker(deploymentId)), 'removing a leftover tunnel key');
    } catch {
      sweep.unreachable.push(node);
    }
  }
  return sweep;
}
