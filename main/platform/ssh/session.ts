import { stat } from 'node:fs/promises';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { abortError, connectPinned, SshFailure, type SshConnectOptions } from './connect.js';
import { forwardLocalPort, type PortForward } from './forward.js';
import { publicKeyLine, type HostKeyIdentity } from './host-key.js';
import type { ExecOptions, ExecResult, FollowedCommand, RemoteShell } from './remote-shell.js';
import { shellQuote } from './core/shell-quote.js';
import { OPENSSH_MIN_BYTES, openSshCanCopyTo, openSshSftp, uploadWithOpenSsh } from './openssh-copy.js';
import { uploadOverSftp, type RemotePrefixDigest, type UploadOptions, type UploadResult } from './upload.js';

const DEFAULT_MAX_BYTES = 16 * 2 ** 20;
/** A line never ends in a stream that never sends a newline: only its tail is kept. */
const MAX_LINE = 65_536;

/**
 * One authenticated SSH connection whose host key matched its pin (or was
 * recorded on first use): commands, followed streams, SFTP uploads and local
 * port-forwards all ride on it.
 */
export class SshSession implements RemoteShell {
  private constructor(
    private readonly client: Client,
    /** What the host presented; the caller pins it on first use. */
    readonly hostKey: HostKeyIdentity,
    private readonly hostKeyBlob: Buffer,
    /** Where and as whom it logged in, for the OpenSSH `sftp` child of a model copy. */
    private readonly login: { address: string; port: number; user: string; privateKey: Buffer },
  ) {}

  static async open(options: SshConnectOptions): Promise<SshSession> {
    const { client, hostKey, hostKeyBlob } = await connectPinned(options);
    const { address, port, user, privateKey } = options;
    return new SshSession(client, hostKey, hostKeyBlob, { address, port, user, privateKey });
  }

  /** `type base64`: the host's whole public key (the pinned one), for a known_hosts line. */
  hostPublicKey(): string {
    return publicKeyLine(this.hostKeyBlob);
  }

  /** Runs one command; `stdin` is written then closed. Output beyond `maxBytes` is a failure, not a truncation. */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
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
   * handle, or losing the connection, ends the remote command and everything it
   * started at once (see `endingWithChannel`), not at its next write.
   */
  follow(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<FollowedCommand> {
    return new Promise((resolve, reject) => {
      this.client.exec(endingWithChannel(command), (error, stream) => {
        if (error) return reject(new SshFailure('unreachable', `the host would not run a command: ${error.message}`));
        let rest = '';
        let stderr = '';
        let exitCode: number | null = null;
        stream.on('data', (chunk: Buffer) => {
          const lines = (rest + chunk.toString('utf8')).split('\n');
          rest = (lines.pop() ?? '').slice(-MAX_LINE);
          for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
        });
        stream.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-1024)));
        stream.on('exit', (code: number | null) => void (exitCode = code));
        stream.on('close', () => onEnd(exitCode === null ? 'the SSH channel closed' : `the command exited with status ${exitCode}${stderr.trim() ? `: ${stderr.trim().slice(-200)}` : ''}`));
        // stdin stays open: its end is what tells the remote side the channel is gone.
        resolve({
          close: () => {
            stream.end();
            stream.close();
          },
        });
      });
    });
  }

  /**
   * Copies a local file to `remotePath` the fastest way this workstation has, with the same resume rules and
   * result: OpenSSH's `sftp` when it is on the PATH, the path is plain and the file is large enough to repay
   * its own connection; else the ssh2 upload.
   */
  async copyFile(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<UploadResult> {
    const sftpBinary = openSshSftp();
    if (sftpBinary && openSshCanCopyTo(remotePath) && (await stat(localPath)).size >= OPENSSH_MIN_BYTES) {
      return this.withSftp((sftp) => uploadWithOpenSsh(sftp, sftpBinary, { ...this.login, hostPublicKey: this.hostPublicKey() }, localPath, remotePath, options, this.prefixDigester()));
    }
    return this.upload(localPath, remotePath, options);
  }

  /**
   * Copies a local file to `remotePath` over ssh2's SFTP: pipelined, hashed as it goes, resumed from
   * `<remotePath>.partial` when that partial's digest (read on the host) matches the file's start.
   */
  upload(localPath: string, remotePath: string, options: UploadOptions = {}): Promise<UploadResult> {
    return this.withSftp((sftp) => uploadOverSftp(sftp, localPath, remotePath, options, this.prefixDigester()));
  }

  private async withSftp<T>(work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => this.client.sftp((error, s) => (error ? reject(error) : resolve(s))));
    try {
      return await work(sftp);
    } finally {
      sftp.end();
    }
  }

  private prefixDigester(): RemotePrefixDigest {
    return (path, bytes, signal) => this.prefixDigest(path, bytes, signal);
  }

  /** sha256 of a file's first `bytes` on the host; null when the host has no sha256sum (the caller's final check decides then). */
  private async prefixDigest(path: string, bytes: number, signal: AbortSignal | undefined): Promise<string | null> {
    // The host reads its own disk: at 100 MB/s, the slowest disk a model sits on, plus a minute.
    const timeoutMs = 60_000 + Math.ceil(bytes / 100_000);
    const result = await this.exec(`head -c ${Math.floor(bytes)} ${shellQuote(path)} | sha256sum`, { timeoutMs, signal });
    const digest = /^([0-9a-f]{64})\s/.exec(result.stdout.toString('utf8'))?.[1];
    return result.exitCode === 0 && digest ? digest : null;
  }

  /** A listener on 127.0.0.1 whose connections are carried to `host:port` as seen from the remote end. */
  forwardLocal(host: string, port: number, options: { localPort?: number } = {}): Promise<PortForward> {
    return forwardLocalPort(this.client, host, port, options.localPort ?? 0);
  }

  close(): void {
    this.client.end();
  }
}

/**
 * A command that dies with its SSH channel. Without a terminal sshd signals nothing when a channel closes, so a
 * loop like `while :; do …; sleep 1; done` would run on until a write failed, and its `sleep` after that. The
 * wrapper keeps the channel's stdin on a watcher: when stdin ends (the client closed the channel, or the
 * connection or sshd went away) the watcher signals the whole process group sshd made for the session. A command
 * that ends by itself still ends the session with its own status; the watcher then goes with the channel.
 */
export function endingWithChannel(command: string): string {
  return `exec 3<&0 </dev/null; { cat <&3 >/dev/null 2>&1; kill -TERM 0; } >/dev/null 2>&1 & exec 3<&-; ${command}`;
}
