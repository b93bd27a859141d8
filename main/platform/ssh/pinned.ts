import type net from 'node:net';
import { OutpostError } from '../../../shared/errors.js';
import { SshFailure, type SshConnectOptions } from './connect.js';
import type { HostKeyIdentity } from './host-key.js';
import { SshSession } from './session.js';

/** The host-key pins, kept by whoever owns the site's hosts (discovery). */
export interface HostKeyPins {
  pinFor(address: string, port: number): HostKeyIdentity | null;
  /** Remembers the key a host offered instead of its pin, so it can be shown and explicitly accepted. */
  recordOfferedKey(address: string, port: number, offered: HostKeyIdentity, at: string): void;
}

export interface SshLogin {
  user: string;
  /** null: the site key. */
  keyPath: string | null;
}

/** Everything needed to SSH back to a stored node: where, as whom, and the pin its key must match. */
export interface NodeEndpoint {
  name: string;
  address: string;
  port: number;
  login: SshLogin | null;
  pin: HostKeyIdentity | null;
  /** A different key the host presented: the node is refused until it is accepted. */
  offered: HostKeyIdentity | null;
}

/** Stored nodes by name (discovery's inventory). */
export interface NodeDirectory {
  endpoint(node: string): NodeEndpoint | null;
}

/** A node resolved for a connection: address, login and the pin its host key must match. */
export interface SshEndpoint {
  /** The node's name, or `address:port` for a host not inventoried yet. */
  node: string;
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
  pin: HostKeyIdentity;
}

export interface PinnedSshDeps {
  pins: HostKeyPins;
  nodes: NodeDirectory;
  /** The key file, or the site key when undefined; throws an OutpostError saying what is wrong. */
  readPrivateKey: (path: string | undefined) => Buffer;
  now: () => Date;
  /** The real SSH by default; tests pass a fake. */
  openSession?: (options: SshConnectOptions) => Promise<SshSession>;
}

export interface OpenOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A host reached by address, as a scan does: its pin is looked up, and a host without one is trusted on first use. */
export interface AddressTarget {
  address: string;
  port: number;
  user: string;
  privateKey: Buffer;
  socket?: net.Socket | undefined;
}

/**
 * The one place SSH meets the site's host-key pins. Every capability opens its
 * sessions here: a host presenting a key other than its pin is refused before
 * any credential or command is sent, the key it offered is recorded for
 * `outpost hostkey accept`, and the refusal reads the same whoever met it
 * (CONFLICT); any other failure is UNAVAILABLE naming the host and what failed.
 * The thrown OutpostError's `cause` is the SshFailure, for callers that report kinds.
 */
export class PinnedSsh {
  private readonly openSession: (options: SshConnectOptions) => Promise<SshSession>;

  constructor(private readonly deps: PinnedSshDeps) {
    this.openSession = deps.openSession ?? ((options) => SshSession.open(options));
  }

  /**
   * A stored node with its pin, logged into as `as` (workers choose the login) or as the login
   * that inventoried it. Refused, before any connection, when unknown, unpinned, or its host
   * already offered another key.
   */
  resolve(node: string, as?: { user: string; privateKey: Buffer }): SshEndpoint {
    const endpoint = this.deps.nodes.endpoint(node);
    if (!endpoint) throw new OutpostError('NOT_FOUND', `there is no node named "${node.slice(0, 80)}"`, 'see `outpost nodes` for the names; a node appears after its first scan');
    if (!endpoint.pin) throw new OutpostError('PRECONDITION', `${endpoint.name} has no pinned host key`, `run \`outpost discover ${endpoint.address}:${endpoint.port}\` first`);
    if (endpoint.offered) {
      throw new OutpostError('CONFLICT', `${endpoint.name} presented a host key (${endpoint.offered.fingerprint}) different from its pin (${endpoint.pin.fingerprint}); nothing is run on it`, acceptHint(endpoint.name));
    }
    const target = { node: endpoint.name, address: endpoint.address, port: endpoint.port, pin: endpoint.pin };
    if (as) return { ...target, ...as };
    if (!endpoint.login) throw new OutpostError('PRECONDITION', `${endpoint.name} was inventoried before Outpost kept logins`, `scan it again: \`outpost discover ${endpoint.address}:${endpoint.port} --user <login>\``);
    return { ...target, user: endpoint.login.user, privateKey: this.deps.readPrivateKey(endpoint.login.keyPath ?? undefined) };
  }

  /** A session to a stored node (by name, as its stored login) or to a resolved endpoint. */
  async open(target: string | SshEndpoint, options: OpenOptions): Promise<SshSession> {
    const endpoint = typeof target === 'string' ? this.resolve(target) : target;
    return this.connect(endpoint.node, { ...endpoint, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  /** A session to a host by address: checked against its pin when it has one, pinned by the caller on first use. */
  openAddress(target: AddressTarget, options: OpenOptions): Promise<SshSession> {
    const pin = this.deps.pins.pinFor(target.address, target.port);
    return this.connect(`${target.address}:${target.port}`, { ...target, pin, timeoutMs: options.timeoutMs, signal: options.signal });
  }

  private async connect(name: string, options: SshConnectOptions): Promise<SshSession> {
    try {
      return await this.openSession(options);
    } catch (error) {
      if (!(error instanceof SshFailure)) throw error;
      if (error.kind === 'host-key-changed' && error.presented) {
        this.deps.pins.recordOfferedKey(options.address, options.port, error.presented, this.deps.now().toISOString());
        throw new OutpostError('CONFLICT', `${name}'s host key changed: ${error.message}; nothing was run on it`, acceptHint(name), { cause: error });
      }
      const hint = error.kind === 'auth-failed' ? `check that ${options.user}'s authorized_keys on ${name} still holds the key` : `check that ${name} (${options.address}:${options.port}) is up`;
      throw new OutpostError('UNAVAILABLE', `cannot reach ${name} over SSH (${error.kind}): ${error.message}`, hint, { cause: error });
    }
  }
}

const acceptHint = (name: string): string => `if the change is expected, check the host, then accept the new key on the Nodes page (both fingerprints side by side) or with \`outpost hostkey accept ${name}\``;

/** The SshFailure behind an error PinnedSsh threw, for callers that report its kind. */
export function sshFailureOf(error: unknown): SshFailure | null {
  if (error instanceof SshFailure) return error;
  return error instanceof Error && error.cause instanceof SshFailure ? error.cause : null;
}
