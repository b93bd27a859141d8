import type { RemoteHosts } from '../core/ports.js';
import { HostSessions } from './host-sessions.js';
import { knownHostsLine, uploadResumable } from './pinned-transfer.js';

/** The Workers' RemoteHosts over SSH: HostSessions' shells, with SFTP uploads and known_hosts lines beside them. */
export class PinnedHosts extends HostSessions implements RemoteHosts {
  async upload(node: string, localPath: string, remotePath: string, onProgress: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
    await uploadResumable(this.endpoint(node), localPath, remotePath, onProgress, signal);
  }

  hostKeyLine(node: string, signal?: AbortSignal): Promise<string> {
    return knownHostsLine(this.endpoint(node), signal);
  }
}
