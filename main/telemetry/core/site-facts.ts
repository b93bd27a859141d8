import type { Deployment } from '../../../shared/domain/workers.js';

/**
 * What the health report, the sampler and the site's report read from the
 * capabilities that own it (identity, sync, discovery, workers); the
 * composition root wires it from their read methods.
 */
export interface SiteFacts {
  role(): 'site' | 'hq' | null;
  lastExchangeAt(): string | null;
  /** Sequences of this site's bundles that `peer` acknowledged (null: any HQ); telemetry's cursor moves with them. */
  acknowledgedSequences(peer: string | null): number[];
  /** When the newest model release arrived from HQ; null when none has. */
  newestModelImportedAt(): string | null;
  /** Active keys by kind with their creation time. */
  activeKeys(): Array<{ kind: 'signing' | 'ssh'; createdAt: string }>;
  /** Remote nodes of the inventory: when they last answered a scan, how many GPUs, whether a Jetson. */
  remoteNodes(): Array<{ name: string; lastSeen: string; gpus: number; jetson: boolean }>;
  /** Remote nodes that offered a host key other than the pinned one, and when. */
  hostKeyChanges(): Array<{ name: string; at: string }>;
  /** Whether a router wrote its stats in the last few seconds. */
  routerRunning(): boolean;
  /** Deployments running or starting, and those that failed within the last day of `now`. */
  liveDeployments(now: Date): Deployment[];
}
