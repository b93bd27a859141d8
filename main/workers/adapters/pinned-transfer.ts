import { OutpostError } from '../../../shared/errors.js';
import { isAbortError, type PinnedSsh, type SshEndpoint, type SshSession, type UploadResult } from '../../platform/ssh/index.js';

/**
 * A host the workers reach: where, as whom, the pin its key must match, and
 * the pinned SSH layer that opens it (which records a changed key as offered
 * for `outpost hostkey accept`, as for every capability).
 */
export interface PinnedEndpoint extends SshEndpoint {
  readonly ssh: PinnedSsh;
}

const CONNECT_TIMEOUT_MS = 15_000;

async function openPinned(endpoint: PinnedEndpoint, signal: AbortSignal | undefined): Promise<SshSession> {
  try {
    return await endpoint.ssh.open(endpoint, { timeoutMs: CONNECT_TIMEOUT_MS, signal });
  } catch (error) {
    if (isAbortError(error)) throw new OutpostError('CANCELLED', 'the launch was cancelled');
    throw error;
  }
}

/** `[address]:port type base64`: the pinned key, for the head's deployment-only known_hosts. */
export async function knownHostsLine(endpoint: PinnedEndpoint, signal?: AbortSignal): Promise<string> {
  const session = await openPinned(endpoint, signal);
  try {
    return `[${endpoint.address}]:${endpoint.port} ${session.hostPublicKey()}`;
  } finally {
    session.close();
  }
}

/**
 * Copies a local file to `remotePath` (whose folder exists) over SFTP, resuming a `.partial` left
 * by an interrupted copy, and renames it into place when whole.
 */
export async function uploadResumable(endpoint: PinnedEndpoint, localPath: string, remotePath: string, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<UploadResult> {
  const session = await openPinned(endpoint, signal);
  try {
    return await session.upload(localPath, remotePath, { onProgress, signal });
  } catch (error) {
    if (isAbortError(error)) throw new OutpostError('CANCELLED', 'the model copy was cancelled; it resumes where it stopped');
    throw new OutpostError('UNAVAILABLE', `copying the model to ${endpoint.node} (${remotePath}) failed: ${(error as Error).message}`, 'check the free space and permissions there; the next launch resumes the copy');
  } finally {
    session.close();
  }
}
