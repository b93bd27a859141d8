import net from 'node:net';
import { Client, type ClientChannel } from 'ssh2';
import { sha256Fingerprint } from '../../identity/index.js';

/** A host key as pinned or as presented: the key's type and `SHA256:…` fingerprint. */
export interface HostKeyIdentity {
  keyType: string;
  fingerprint: string;
}

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

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
}

export const abortError = (): Error => Object.assign(new Error('the operation was cancelled'), { name: 'AbortError' });

/** `ssh-ed25519` etc.: the first string of an SSH public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  return length > 0 && length < 64 && blob.length >= 4 + length ? blob.subarray(4, 4 + length).toString('latin1') : 'unknown';
}

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

/**
 * One authenticated SSH connection whose host key matched its pin (or was
 * recorded on first use). Discovery runs its probe through it; the Workers
 * capability runs engines through it.
 */
export class SshSession {
  private constructor(
    private readonly client: Client,
    /** What the host presented; the caller pins it on first use. */
    readonly hostKey: HostKeyIdentity,
  ) {}

  static async open(options: SshConnectOptions): Promise<SshSession> {
    const socket = options.socket ?? (await connectTcp(options.address, options.port, options.timeoutMs, options.signal));
    return new Promise((resolve, reject) => {
      const client = new Client();
      let presented: HostKeyIdentity | null = null;
      let refused = false;
      let settled = false;
      const settle = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (error || !presented) {
          client.end();
          socket.destroy();
          reject(error ?? new SshFailure('not-ssh', 'the server never presented a host key'));
        } else {
          resolve(new SshSession(client, presented));
        }
      };
      const onAbort = (): void => settle(abortError());
      if (options.signal?.aborted) return settle(abortError());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.on('ready', () => settle(null));
      client.on('error', (error: Error & { level?: string }) => {
        if (refused && presented) {
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
        hostVerifier: (blob: Buffer) => {
          presented = { keyType: keyTypeOfBlob(blob), fingerprint: sha256Fingerprint(blob) };
          const pin = options.pin;
          if (pin === null) return true;
          refused = !(pin.fingerprint === presented.fingerprint && pin.keyType === presented.keyType);
          return !refused;
        },
      });
    });
  }

  /** Runs one command; `stdin` is written then closed. Output beyond `maxBytes` is a failure, not a truncation. */
  exec(command: string, options: { stdin?: string; timeoutMs: number; signal?: AbortSignal | undefined; maxBytes?: number }): Promise<ExecResult> {
    const maxBytes = options.maxBytes ?? 16 * 2 ** 20;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(abortError());
      let channel: ClientChannel | undefined;
      let done = false;
      const finish = (error: Error | null, result?: ExecResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          channel?.destroy();
          reject(error);
        } else if (result) {
          resolve(result);
        }
      };
      const onAbort = (): void => finish(abortError());
      const timer = setTimeout(() => finish(new SshFailure('timeout', `the command did not finish within ${options.timeoutMs} ms`)), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.client.exec(command, (error, stream) => {
        if (error) return finish(new SshFailure('unreachable', `the host would not run a command: ${error.message}`));
        channel = stream;
        const out: Buffer[] = [];
        let size = 0;
        let stderr = '';
        let exitCode: number | null = null;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return finish(new Error(`the command printed more than ${maxBytes} bytes`));
          out.push(chunk);
        });
        stream.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
        stream.on('exit', (code: number | null) => void (exitCode = code));
        stream.on('close', () => finish(null, { stdout: Buffer.concat(out), stderr, exitCode }));
        stream.end(options.stdin ?? '');
      });
    });
  }

  /**
   * Runs a long-lived command (a sampler's `nvidia-smi -l 1`), handing each
   * complete stdout line to `onLine`; `onEnd` says why it stopped. Closing the
   * handle closes the channel, and the remote command ends on its next write.
   */
  follow(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<{ close(): void }> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, stream) => {
        if (error) return reject(new SshFailure('unreachable', `the host would not run a command: ${error.message}`));
        let rest = '';
        let stderr = '';
        let exitCode: number | null = null;
        stream.on('data', (chunk: Buffer) => {
          const lines = (rest + chunk.toString('utf8')).split('\n');
          // A line never ends in a stream that never sends a newline: keep only its tail.
          rest = (lines.pop() ?? '').slice(-65_536);
          for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
        });
        stream.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-1024)));
        stream.on('exit', (code: number | null) => void (exitCode = code));
        stream.on('close', () => onEnd(exitCode === null ? 'the SSH channel closed' : `the command exited with status ${exitCode}${stderr.trim() ? `: ${stderr.trim().slice(-200)}` : ''}`));
        stream.end();
        resolve({ close: () => stream.close() });
      });
    });
  }

  close(): void {
    this.client.end();
  }
}
