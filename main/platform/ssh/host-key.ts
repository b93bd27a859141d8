import { sha256Fingerprint } from './core/fingerprint.js';

/** A host key as pinned or as presented: the key's type and `SHA256:…` fingerprint. */
export interface HostKeyIdentity {
  keyType: string;
  fingerprint: string;
}

/** Longest key type name accepted (OpenSSH's longest is `sk-ecdsa-sha2-nistp256@openssh.com`, 34). */
const MAX_KEY_TYPE_LENGTH = 64;

/**
 * `ssh-ed25519` etc.: the first string of an SSH public key blob, or null when
 * the blob does not hold one (too short, a length past its end, or not a printable name).
 */
export function keyTypeOfBlob(blob: Uint8Array): string | null {
  if (blob.length < 4) return null;
  const length = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(0);
  if (length === 0 || length > MAX_KEY_TYPE_LENGTH || blob.length < 4 + length) return null;
  const name = Buffer.from(blob.subarray(4, 4 + length)).toString('latin1');
  return /^[\x21-\x7e]+$/.test(name) ? name : null;
}

/** What a host presented, or null for a blob that is not an SSH public key. */
export function presentedHostKey(blob: Uint8Array): HostKeyIdentity | null {
  const keyType = keyTypeOfBlob(blob);
  return keyType === null ? null : { keyType, fingerprint: sha256Fingerprint(blob) };
}

export function matchesPin(presented: HostKeyIdentity, pin: HostKeyIdentity): boolean {
  return presented.keyType === pin.keyType && presented.fingerprint === pin.fingerprint;
}

/** `type base64`: the host's whole public key, as a known_hosts or authorized_keys line carries it. */
export function publicKeyLine(blob: Uint8Array): string {
  return `${keyTypeOfBlob(blob) ?? 'unknown'} ${Buffer.from(blob).toString('base64')}`;
}
