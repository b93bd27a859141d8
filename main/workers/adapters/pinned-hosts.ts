import { OutpostError } from '../../../shared/errors.js';
import { isAbortError, sshFailureOf, type ExecResult, type PinnedSsh, type SshEndpoint, type SshSession } from '../../platform/ssh/index.js';
import type { CopyOutcome, RemoteCommandOptions, RemoteHosts, UploadCallbacks } from '../core/ports.js';

/**
 * A host the workers reach: where, as whom, the pin its key must match, and the pinned SSH layer that opens
 * it (which records a changed key as offered for `outpost hostkey accept`, as for every capability).
 */
export interface PinnedEndpoint extends SshEndpoint {
  readonly ssh: PinnedSsh;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The Workers' RemoteHosts over the pinned SSH layer: one session per host, opened on first use and reopened
 * after a failure; commands, the model copy and the host key line all go through it.
 */
export class PinnedHosts implements RemoteHosts {
  private readonly sessions = new Map<string, Promise<SshSession>>();

  constructor(private readonly endpoints: ReadonlyMap<string, PinnedEndpoint>) {}

  endpoint(node: string): PinnedEndpoint {
    const endpoint = this.endpoints.get(node);
    if (!endpoint) throw new Error(`no endpoint for node ${node}`);
    return endpoint;
  }

  private session(node: string, signal?: AbortSignal): Promise<SshSession> {
    let session = this.sessions.get(node);
    if (!session) {
      const endpoint = this.endpoint(node);
      session = endpoint.ssh.open(endpoint, { timeoutMs: CONNECT_TIMEOUT_MS, signal });
      this.sessions.set(node, session);
      session.catch(() => this.sessions.delete(node));
    }
    return session;
  }

  /** Runs `work` on the node's session; a broken session is dropped so the next call reconnects. */
  private async withSession<T>(node: string, signal: AbortSignal | undefined, work: (session: SshSession) => Promise<T>, cancelled = 'cancelled'): Promise<T> {
    try {
      return await work(await this.session(node, signal));
    } catch (error) {
      this.drop(node);
      if (isAbortError(error)) throw new OutpostError('CANCELLED', cancelled);
      // The pinned layer's refusals (a changed host key, an unreachable host) already name the host.
      if (error instanceof OutpostError) throw error;
      const failure = sshFailureOf(error);
      const why = failure ? `(${failure.kind}): ${failure.message}` : `: ${error instanceof Error ? error.message : String(error)}`;
      const e = this.endpoint(node);
      throw new OutpostError('UNAVAILABLE', `cannot reach ${node} over SSH ${why}`, `check that ${node} (${e.address}:${e.port}) and its network are up; \`outpost discover\` re-checks it`);
    }
  }

  run(node: string, script: string, options: RemoteCommandOptions = {}): Promise<ExecResult> {
    return this.withSession(node, options.signal, (session) => session.exec(script, { stdin: options.stdin, timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal }));
  }

  async check(node: string, script: string, what: string, options: RemoteCommandOptions = {}): Promise<string> {
    const result = await this.run(node, script, options);
    if (result.exitCode !== 0) {
      throw new OutpostError('UNAVAILABLE', `${what} failed on ${node} (exit ${result.exitCode}): ${result.stderr.trim().slice(-300) || 'no message'}`, 'see the host, then try again');
    }
    return result.stdout.toString('utf8');
  }

  /** Copies a local file (OpenSSH's sftp, else ssh2's SFTP), resuming a `.partial` left by an interrupted copy; renamed into place when whole. */
  upload(node: string, localPath: string, remotePath: string, options: UploadCallbacks): Promise<CopyOutcome> {
    const { signal } = options;
    return this.withSession(
      node,
      signal,
      async (session) => {
        try {
          return await session.copyFile(localPath, remotePath, options);
        } catch (error) {
          if (isAbortError(error) || error instanceof OutpostError) throw error;
          throw new OutpostError('UNAVAILABLE', `copying the model to ${node} (${remotePath}) failed: ${(error as Error).message}`, 'check the free space and permissions there; the next launch resumes the copy');
        }
      },
      'the model copy was cancelled; it resumes where it stopped',
    );
  }

  /** `[address]:port type base64`: the pinned key, for the head's deployment-only known_hosts. */
  hostKeyLine(node: string, signal?: AbortSignal): Promise<string> {
    const { address, port } = this.endpoint(node);
    return this.withSession(node, signal, async (session) => `[${address}]:${port} ${session.hostPublicKey()}`);
  }

  private drop(node: string): void {
    const session = this.sessions.get(node);
    this.sessions.delete(node);
    session?.then((s) => s.close()).catch(() => undefined);
  }

  close(): void {
    for (const node of [...this.sessions.keys()]) this.drop(node);
  }
}
