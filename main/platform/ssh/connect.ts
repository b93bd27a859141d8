import net from 'node:net';
import { Client } from 'ssh2';
import { matchesPin, presentedHostKey, type HostKeyIdentity } from './host-key.js';

/** Why a connection did not become a session; each kind is shown to the technician as such. */
export type SshFailureKind = 'unreachable' | 'timeout' | 'not-ssh' | 'auth-failed' | 'host-key-changed';

export class SshFailure extends Error {
  constructor(
    readonly kind: SshFailureKind,
    message: string,
    /** The key the host showed, when it got that far (always set for host-key-changed). */
    readonly presented: HostKeyIdentity | null = null,
  ) {
    super(message);
    this.name = 'SshFailure';
  }
}

export interface SshConnectOptions {
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
  /**
   * The pinned key. `null` means trust on first use: accept what the host
   * presents and report it, so the caller can pin it. There is no way to skip
   * the check.
   */
  pin: HostKeyIdentity | null;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** An already connected socket (discovery's TCP sweep hands its socket over, saving a connect). */
  socket?: net.Socket | undefined;
}

export const abortError = (): Error => Object.assign(new Error('the operation was cancelled'), { name: 'AbortError' });
export const isAbortError = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';

/** TCP connect with a deadline; the socket is the caller's afterwards. */
export function connectTcp(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const socket = net.connect({ host: address, port });
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      socket.removeAllListeners('connect');
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve(socket);
      }
    };
    const onAbort = (): void => finish(abortError());
    const timer = setTimeout(() => finish(new SshFailure('timeout', `no TCP answer on port ${port} within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(null));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ECONNREFUSED' ? `nothing listens on port ${port}` : error.code === 'ENOTFOUND' ? 'the name does not resolve' : `${error.code ?? error.message}`;
      finish(new SshFailure('unreachable', why));
    });
  });
}

export interface AuthenticatedClient {
  client: Client;
  /** The host key blob exactly as presented (its known_hosts line is built from it). */
  hostKeyBlob: Buffer;
  hostKey: HostKeyIdentity;
}

/**
 * An authenticated ssh2 client whose host presented its pinned key (or any
 * well-formed key when `pin` is null). The key is compared in ssh2's host
 * verifier, which runs before any credential or command is sent.
 */
export async function connectPinned(options: SshConnectOptions): Promise<AuthenticatedClient> {
  const socket = options.socket ?? (await connectTcp(options.address, options.port, options.timeoutMs, options.signal));
  return new Promise((resolve, reject) => {
    const client = new Client();
    let blob: Buffer | null = null;
    let presented: HostKeyIdentity | null = null;
    let malformed = false;
    let refused = false;
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error || !presented || !blob) {
        client.end();
        socket.destroy();
        reject(error ?? new SshFailure('not-ssh', 'the server never presented a host key'));
      } else {
        resolve({ client, hostKeyBlob: blob, hostKey: presented });
      }
    };
    const onAbort = (): void => settle(abortError());
    if (options.signal?.aborted) return settle(abortError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => settle(null));
    client.on('error', (error: Error & { level?: string }) => {
      if (malformed) {
        settle(new SshFailure('not-ssh', 'the server presented a host key that is not an SSH public key'));
      } else if (refused && presented) {
        settle(new SshFailure('host-key-changed', `the host presented ${presented.keyType} ${presented.fingerprint}, not the pinned ${options.pin?.keyType} ${options.pin?.fingerprint}`, presented));
      } else if (error.level === 'client-authentication') {
        settle(new SshFailure('auth-failed', `the host refused user "${options.user}" with this key`, presented));
      } else if (error.level === 'client-timeout') {
        settle(new SshFailure('timeout', `no SSH handshake within ${options.timeoutMs} ms (the port is open but does not speak SSH, or the host is overloaded)`, presented));
      } else {
        settle(new SshFailure(presented ? 'unreachable' : 'not-ssh', `SSH failed: ${error.message}`, presented));
      }
    });
    client.connect({
      sock: socket,
      username: options.user,
      privateKey: options.privateKey,
      readyTimeout: options.timeoutMs,
      // The comparison with the pin is the whole point: it decides before any credential or command is sent.
      hostVerifier: (key: Buffer) => {
        presented = presentedHostKey(key);
        if (presented === null) {
          malformed = true;
          return false;
        }
        blob = Buffer.from(key);
        refused = options.pin !== null && !matchesPin(presented, options.pin);
        return !refused;
      },
    });
  });
}
