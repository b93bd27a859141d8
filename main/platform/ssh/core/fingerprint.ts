import { createHash } from 'node:crypto';
import { OutpostError } from '../../../../shared/errors.js';

/** `SHA256:<base64, no padding>` — the form `ssh-keygen -l` prints. */
export function sha256Fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), over its key blob. */
export function sshPublicKeyFingerprint(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) {
    throw new OutpostError('INVALID_INPUT', 'not an OpenSSH public key line', 'expected "<type> <base64 key> [comment]"');
  }
  return sha256Fingerprint(Buffer.from(blob, 'base64'));
}
