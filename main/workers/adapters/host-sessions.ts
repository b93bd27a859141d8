import { OutpostError } from '../../../shared/errors.js';
import { isAbortError, sshFailureOf, type ExecResult, type SshSession } from '../../platform/ssh/index.js';
import type { PinnedEndpoint } from './pinned-transfer.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One persistent SSH session per host (opened through the pinned SSH layer),
 * opened on first use and reopened after a failure. The launch and the
 * supervisor run every remote command through it.
 */
export class HostSessions {
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

  /** Runs a script with /bin/sh on the node; a broken session is dropped so the next call reconnects. */
  async run(node: string, script: string, options: { stdin?: string; timeoutMs?: number; signal?: AbortSignal | undefined } = {}): Promise<ExecResult> {
    try {
      const session = await this.session(node, options.signal);
      return await session.exec(script, { stdin: options.stdin, timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal });
    } catch (error) {
      this.drop(node);
      if (isAbortError(error)) throw new OutpostError('CANCELLED', 'cancelled');
      // The pinned layer's refusals (a changed host key, an unreachable host) already name the host.
      if (error instanceof OutpostError) throw error;
      const failure = sshFailureOf(error);
      const why = failure ? `(${failure.kind}): ${failure.message}` : `: ${error instanceof Error ? error.message : String(error)}`;
      const e = this.endpoint(node);
      throw new OutpostError('UNAVAILABLE', `cannot reach ${node} over SSH ${why}`, `check that ${node} (${e.address}:${e.port}) and its network are up; \`outpost discover\` re-checks it`);
    }
  }

  /** Like run, but a non-zero exit is an error naming the host and its stderr. */
  async check(node: string, script: string, what: string, options: { stdin?: string; timeoutMs?: number; signal?: AbortSignal | undefined } = {}): Promise<string> {
    const result = await this.run(node, script, options);
    if (result.exitCode !== 0) {
      throw new OutpostError('UNAVAILABLE', `${what} failed on ${node} (exit ${result.exitCode}): ${result.stderr.trim().slice(-300) || 'no message'}`, 'see the host, then try again');
    }
    return result.stdout.toString('utf8');
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
