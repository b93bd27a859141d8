import { OutpostError } from '../../../shared/errors.js';
import { SshFailure, SshSession, type ExecResult } from '../../discovery/index.js';
import type { PinnedEndpoint } from './pinned-transfer.js';

/**
 * One persistent SSH session per host (host key checked against its pin),
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
      const e = this.endpoint(node);
      session = SshSession.open({ address: e.address, port: e.port, user: e.user, privateKey: e.privateKey, pin: e.pin, timeoutMs: 10_000, signal });
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
      if (error instanceof Error && error.name === 'AbortError') throw new OutpostError('CANCELLED', 'cancelled');
      const e = this.endpoint(node);
      const why = error instanceof SshFailure ? `${error.kind}: ${error.message}` : error instanceof Error ? error.message : String(error);
      throw new OutpostError('UNAVAILABLE', `${node} (${e.address}:${e.port}) cannot be reached over SSH (${why})`, 'check the host and its network; `outpost discover` re-checks it');
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
