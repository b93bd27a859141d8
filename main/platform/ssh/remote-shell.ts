import type { HostKeyIdentity } from './host-key.js';

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: string | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Output beyond this is a failure, not a truncation (default 16 MiB). */
  maxBytes?: number | undefined;
}

/** A long-lived command's channel; closing it ends the command on its next write. */
export interface FollowedCommand {
  close(): void;
}

/**
 * What every capability needs of an SSH session to a host whose key matched
 * its pin: run a command, follow a long-lived one line by line, close.
 * Discovery's scan, the planner's GGUF reader, telemetry's streams and the
 * workers all speak to hosts through this one port.
 */
export interface RemoteShell {
  /** The key the host presented (the pin, or the key to pin on first use). */
  readonly hostKey: HostKeyIdentity;
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  /** Hands each complete stdout line to `onLine`; `onEnd` says why the command stopped. */
  follow(command: string, onLine: (line: string) => void, onEnd: (why: string) => void): Promise<FollowedCommand>;
  close(): void;
}
