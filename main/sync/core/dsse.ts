import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Dead Simple Signing Envelope (github.com/secure-systems-lab/dsse, v1.0):
 * the signature covers PAE(payloadType, payload), so the type cannot be
 * swapped under a valid signature and nothing is signed twice in two forms.
 */
export interface DsseEnvelope {
  payloadType: string;
  /** base64 (standard alphabet) of the payload bytes */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/** Builds an envelope; `signPae` is the signer's Ed25519 over the PAE bytes, as base64. */
export function envelopeFor(payloadType: string, payload: Buffer, keyid: string, signPae: (message: Buffer) => string): DsseEnvelope {
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid, sig: signPae(pae(payloadType, payload)) }] };
}

/** Ed25519 public key from its raw 32 bytes in base64, as the identity stores it. */
export function ed25519PublicKey(rawBase64: string): KeyObject {
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function verifyEd25519(rawPublicKeyBase64: string, message: Buffer, signatureBase64: string): boolean {
  try {
    const signature = Buffer.from(signatureBase64, 'base64');
    if (signature.length !== 64) return false;
    return verify(null, message, ed25519PublicKey(rawPublicKeyBase64), signature);
  } catch {
    return false;
  }
}

/** For tests and tools that hold a PEM key directly (the app signs through KeyVault). */
export function signEd25519Pem(pem: string, message: Buffer): string {
  return sign(null, message, createPrivateKey(pem)).toString('base64');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
