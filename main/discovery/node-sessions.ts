import { OutpostError } from '../../shared/errors.js';
import type { NodeEndpoint, SiteRepository } from './adapters/site-repository.js';
import { SshFailure, type SshConnectOptions, type SshSession } from './adapters/ssh-session.js';

export interface NodeSessionsDeps {
  site: SiteRepository;
  /** The stored key file, or the site key when null; throws an OutpostError saying what is wrong. */
  readPrivateKey: (path: string | undefined) => Buffer;
  openSession: (options: SshConnectOptions) => Promise<SshSession>;
  now: () => Date;
}

/**
 * SSH back to a node a scan inventoried, as the login that scan used, with the
 * host key checked against the node's pin. A node without a pin, or whose host
 * now presents another key, is refused before any credential or command is sent;
 * a newly presented key is kept as "offered" for `outpost hostkey accept`.
 */
export class NodeSessions {
  constructor(private readonly deps: NodeSessionsDeps) {}

  /** The stored node, checked for a pin and a login; throws what is missing and how to get it. */
  endpoint(node: string): NodeEndpoint & { login: NonNullable<NodeEndpoint['login']>; pin: NonNullable<NodeEndpoint['pin']> } {
    const endpoint = this.deps.site.endpoint(node);
    if (!endpoint) throw new OutpostError('NOT_FOUND', `there is no node named "${node.slice(0, 80)}"`, 'see `outpost nodes` for the names; a node appears after its first scan');
    if (!endpoint.pin) throw new OutpostError('PRECONDITION', `${endpoint.name} has no pinned host key`, `run \`outpost discover ${endpoint.address}:${endpoint.port}\` first`);
    if (endpoint.offered) {
      throw new OutpostError('CONFLICT', `${endpoint.name} presented a host key (${endpoint.offered.fingerprint}) different from its pin (${endpoint.pin.fingerprint}); nothing is run on it`, `check the host, then \`outpost hostkey accept ${endpoint.name}\``);
    }
    if (!endpoint.login) throw new OutpostError('PRECONDITION', `${endpoint.name} was inventoried before Outpost kept logins`, `scan it again: \`outpost discover ${endpoint.address}:${endpoint.port} --user <login>\``);
    return { ...endpoint, login: endpoint.login, pin: endpoint.pin };
  }

  async open(node: string, options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<SshSession> {
    const endpoint = this.endpoint(node);
    const privateKey = this.deps.readPrivateKey(endpoint.login.keyPath ?? undefined);
    try {
      return await this.deps.openSession({ address: endpoint.address, port: endpoint.port, user: endpoint.login.user, privateKey, pin: endpoint.pin, timeoutMs: options.timeoutMs, signal: options.signal });
    } catch (error) {
      if (!(error instanceof SshFailure)) throw error;
      if (error.kind === 'host-key-changed' && error.presented) {
        this.deps.site.recordOfferedKey(endpoint.address, endpoint.port, error.presented, this.deps.now().toISOString());
        throw new OutpostError('CONFLICT', `${endpoint.name}'s host key changed: ${error.message}; nothing was run on it`, `if the change is expected, run \`outpost hostkey accept ${endpoint.name}\``);
      }
      const hint = error.kind === 'auth-failed' ? `check that ${endpoint.login.user}'s authorized_keys on ${endpoint.name} still holds the key` : `check that ${endpoint.name} (${endpoint.address}:${endpoint.port}) is up`;
      throw new OutpostError('UNAVAILABLE', `cannot reach ${endpoint.name} over SSH (${error.kind}): ${error.message}`, hint, { cause: error });
    }
  }
}
