import type { SshPublicKey } from '../../../shared/domain/identity.js';

/**
 * `restrict` turns off everything an authorized key may do beyond running commands (pty, agent and X11
 * forwarding, port-forwarding, ~/.ssh/rc); Outpost runs commands, copies files over the sftp subsystem and
 * reaches a worker's port through a local forward, so port-forwarding alone is given back.
 */
export const AUTHORIZED_KEY_OPTIONS = 'restrict,port-forwarding';

/** The site's key as each host's authorized_keys should hold it, its comment naming the site. */
export function sshPublicKeyFor(publicKeyLine: string, fingerprint: string, siteId: string): SshPublicKey {
  const [type, blob] = publicKeyLine.trim().split(/\s+/);
  if (!type || !blob) throw new Error('an OpenSSH public key line reads "<type> <base64> [comment]"');
  const comment = `outpost@${siteId}`;
  return {
    publicKey: `${type} ${blob} ${comment}`,
    fingerprint,
    comment,
    options: AUTHORIZED_KEY_OPTIONS,
    authorizedKeysLine: `${AUTHORIZED_KEY_OPTIONS} ${type} ${blob} ${comment}`,
  };
}
