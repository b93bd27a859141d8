/**
 * The OpenSSH private key format (`openssh-key-v1`, unencrypted) for an Ed25519 key, and its public line.
 * Written here because ssh2's generator drops a leading zero byte of the public key (about 1 key in 200:
 * the file then has a 31-byte key that neither ssh2 nor OpenSSH will load). Encoding only: the key itself
 * comes from node's crypto.
 */
export interface OpenSshKeyPair {
  private: string;
  public: string;
}

const KEY_TYPE = 'ssh-ed25519';

export function encodeEd25519KeyPair(seed: Uint8Array, publicKey: Uint8Array, comment: string, checkInt: number): OpenSshKeyPair {
  if (seed.length !== 32 || publicKey.length !== 32) throw new Error('an Ed25519 key has a 32-byte seed and a 32-byte public key');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
  const check = uint32(checkInt);
  const body = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(publicKey), sshString(Buffer.concat([seed, publicKey])), sshString(comment)]);
  // The private section is padded with 1, 2, 3, … to a multiple of the cipher block size (8 for "none").
  const padding = Buffer.from(Array.from({ length: (8 - (body.length % 8)) % 8 }, (_, i) => i + 1));
  const whole = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(publicBlob), sshString(Buffer.concat([body, padding]))]);
  const lines = whole.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    public: `${KEY_TYPE} ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function sshString(value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([uint32(bytes.length), bytes]);
}
