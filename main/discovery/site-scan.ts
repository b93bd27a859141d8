import path from 'node:path';
import type { NodeChange, ScanCounts, ScanHost, ScanProgress, ScanResult } from '../../shared/domain/discovery.js';
import type { JobRegistry } from '../platform/jobs.js';
import type { SiteRepository } from './adapters/site-repository.js';
import { DEFAULT_MODEL_DIRS } from '../../shared/contract/discovery.js';
import { OutpostError } from '../../shared/errors.js';
import { isAbortError, sshFailureOf, type AddressTarget, type HostKeyIdentity, type OpenOptions, type RemoteShell } from '../platform/ssh/index.js';
import { parseProbeOutput, ProbeFormatError } from './core/probe-inventory.js';
import { PROBE_SCRIPT, probeCommand } from './core/probe-script.js';
import { parseTargets, type ScanTarget } from './core/targets.js';

export interface ScanRequest {
  targets: string;
  user: string;
  key?: string | undefined;
  port: number;
  concurrency: number;
  timeoutMs: number;
  modelDirs: string[];
  scanId?: string | undefined;
}

export interface SiteScanDeps {
  repository: SiteRepository;
  jobs: JobRegistry;
  /** TCP connect: resolves with a socket handed on to `openShell`, rejects with an SshFailure. */
  connectTcp: (address: string, port: number, timeoutMs: number, signal: AbortSignal) => Promise<NonNullable<AddressTarget['socket']>>;
  /** A session checked against the host's pin (a changed key recorded as offered), or trusted on first use. */
  openShell: (target: AddressTarget, options: OpenOptions) => Promise<RemoteShell>;
  /** The private key to log in with: `--key`, or the site key. Throws an OutpostError saying what is wrong. */
  readPrivateKey: (path: string | undefined) => Buffer;
  progress: (progress: ScanProgress) => void;
  now: () => Date;
  /** Unpredictable hex, for probe boundaries. */
  nonce: () => string;
}

/** What accepting a changed host key did: the new pin, and the probe of that node that followed. */
export interface AcceptedHostKey {
  accepted: { node: string; address: string; port: number; keyType: string; fingerprint: string; previousFingerprint: string };
  /** How the probe that followed went; null: the host was never inventoried, so there is no login to probe it with. */
  probed: ScanHost | null;
  /** The one-host scan that probed it (null when none ran), for those who follow scans. */
  scan: ScanResult | null;
}

/** A re-probe is one host: the scan's default per-step bound. */
const REPROBE_TIMEOUT_MS = 10_000;

/** Dead addresses of a range are only counted; progress for them is sent at most this often. */
const QUIET_PROGRESS_MS = 100;

/**
 * One scan: expand targets, TCP-sweep them with bounded concurrency, SSH into
 * each listener (host key checked against its pin, pinned on first use), run
 * the probe once, store the inventory. Each host's result is written in one
 * transaction; cancelling stops new work and discards hosts still in flight.
 */
export class SiteScan {
  constructor(private readonly deps: SiteScanDeps) {}

  async run(request: ScanRequest, callerSignal: AbortSignal | undefined): Promise<ScanResult> {
    const targets = parseTargets(request.targets, request.port);
    const privateKey = this.deps.readPrivateKey(request.key);
    const job = this.deps.jobs.start('discovery.scan', { id: request.scanId, signal: callerSignal });
    try {
      const startedAt = this.deps.now().toISOString();
      this.deps.repository.startScan(job.id, request.targets, startedAt);
      const counts: ScanCounts = { total: targets.length, probed: 0, live: 0, inventoried: 0, failed: 0 };
      const hosts = new Array<ScanHost | undefined>(targets.length);
      let lastQuiet = 0;
      const report = (host: ScanHost | null): void => {
        const at = Date.now();
        if (host === null && at - lastQuiet < QUIET_PROGRESS_MS && counts.probed < counts.total) return;
        if (host === null) lastQuiet = at;
        this.deps.progress({ scanId: job.id, counts: { ...counts }, host });
      };
      let next = 0;
      const worker = async (): Promise<void> => {
        while (!job.signal.aborted && next < targets.length) {
          const index = next++;
          const target = targets[index] as ScanTarget;
          const host = await this.scanHost(job.id, target, request, privateKey, job.signal, counts);
          if (host?.outcome === 'cancelled') continue;
          counts.probed += 1;
          if (host?.outcome === 'inventoried') counts.inventoried += 1;
          else if (host) counts.failed += 1;
          if (host) hosts[index] = host;
          report(host);
        }
      };
      await Promise.all(Array.from({ length: Math.min(request.concurrency, targets.length) }, worker));
      const outcome = job.signal.aborted ? 'cancelled' : 'completed';
      const finishedAt = this.deps.now().toISOString();
      this.deps.repository.finishScan(job.id, outcome, counts, finishedAt);
      return { scanId: job.id, outcome, startedAt, finishedAt, counts, hosts: hosts.filter((h): h is ScanHost => h !== undefined) };
    } finally {
      job.finish();
    }
  }

  /**
   * Pins the key a node offered, then probes that node alone as the login that inventoried it: its inventory
   * is fresh at once, or the reason it is still unreachable is named, without a scan of the whole site.
   */
  async acceptHostKey(node: string, signal: AbortSignal | undefined): Promise<AcceptedHostKey> {
    const accepted = this.deps.repository.acceptOfferedKey(node, this.deps.now().toISOString());
    const login = this.deps.repository.nodes().find((n) => n.address === accepted.address && n.port === accepted.port)?.login ?? null;
    if (!login) return { accepted, probed: null, scan: null };
    try {
      const scan = await this.run({ targets: `${accepted.address}:${accepted.port}`, user: login.user, key: login.keyPath ?? undefined, port: accepted.port, concurrency: 1, timeoutMs: REPROBE_TIMEOUT_MS, modelDirs: DEFAULT_MODEL_DIRS }, signal);
      return { accepted, probed: scan.hosts[0] ?? null, scan };
    } catch (error) {
      // The key stays accepted: the probe failing before it could start (its key file gone) is said, not undone.
      if (!(error instanceof OutpostError)) throw error;
      const reason = `${error.message}${error.hint ? ` — ${error.hint}` : ''}`;
      return { accepted, probed: { address: accepted.address, port: accepted.port, outcome: 'probe-failed', reason, node: accepted.node, changes: [] }, scan: null };
    }
  }

  /** null: an address of a range where nothing answered (counted, not listed). */
  private async scanHost(scanId: string, target: ScanTarget, request: ScanRequest, privateKey: Buffer, signal: AbortSignal, counts: ScanCounts): Promise<ScanHost | null> {
    const { address, port } = target;
    const host = (outcome: ScanHost['outcome'], reason: string | null, node: string | null = null, changes: NodeChange[] = []): ScanHost => ({ address, port, outcome, reason, node, changes });
    let socket;
    try {
      socket = await this.deps.connectTcp(address, port, request.timeoutMs, signal);
    } catch (error) {
      if (isAbortError(error)) return host('cancelled', 'the scan was cancelled');
      if (!target.explicit) return null;
      const failure = sshFailureOf(error);
      const failed = failure ? host(failure.kind, failure.message) : host('unreachable', String(error));
      this.deps.repository.recordFailure(scanId, failed, null, this.deps.now().toISOString());
      return failed;
    }
    counts.live += 1;
    let shell: RemoteShell | undefined;
    let presented: HostKeyIdentity | null = null;
    try {
      shell = await this.deps.openShell({ address, port, user: request.user, privateKey, socket }, { timeoutMs: request.timeoutMs, signal });
      presented = shell.hostKey;
      const boundary = `@@outpost-${this.deps.nonce()}`;
      const answer = await shell.exec(probeCommand(boundary, request.modelDirs), { stdin: PROBE_SCRIPT, timeoutMs: request.timeoutMs, signal });
      const inventory = parseProbeOutput(answer.stdout, boundary, this.deps.now());
      if (signal.aborted) return host('cancelled', 'the scan was cancelled');
      const login = { user: request.user, keyPath: request.key === undefined ? null : path.resolve(request.key) };
      const saved = this.deps.repository.saveInventory({ scanId, address, port, hostKey: shell.hostKey, login, inventory, at: this.deps.now().toISOString() });
      return host('inventoried', null, saved.name, saved.changes);
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return host('cancelled', 'the scan was cancelled');
      const at = this.deps.now().toISOString();
      let failed: ScanHost;
      const failure = sshFailureOf(error);
      if (failure?.kind === 'host-key-changed' && error instanceof OutpostError) {
        // PinnedSsh recorded the offered key; it waits for `outpost hostkey accept`, and is never pinned here.
        failed = host('host-key-changed', `${error.message} — ${error.hint ?? ''}`);
      } else if (failure) {
        presented ??= failure.presented;
        failed = host(failure.kind, shell && failure.kind === 'timeout' ? `the probe did not finish within ${request.timeoutMs} ms` : failure.message);
      } else if (error instanceof ProbeFormatError) {
        failed = host('probe-failed', error.message);
      } else {
        failed = host('probe-failed', error instanceof Error ? error.message : String(error));
      }
      this.deps.repository.recordFailure(scanId, failed, presented, at);
      return failed;
    } finally {
      shell?.close();
      if (!shell) socket.destroy();
    }
  }
}

/** `cancelled: false` when no scan of that id is running (it finished already, or never was). */
export function cancelScan(jobs: JobRegistry, scanId: string): { cancelled: boolean } {
  return { cancelled: jobs.cancel(scanId, 'discovery.scan') };
}
