import { canonicalRotationText, type RotationStatement } from '../../../shared/domain/key-rotation.js';
import { sha256Fingerprint } from '../../platform/ssh/core/fingerprint.js';
import type { KeyHistoryEntry } from '../../../shared/domain/identity.js';
import type { SignedRotation } from '../../../shared/domain/sync.js';
import { verifyEd25519 } from './dsse.js';

export function signingFingerprint(rawPublicKeyBase64: string): string {
  return sha256Fingerprint(Buffer.from(rawPublicKeyBase64, 'base64'));
}

/**
 * The signed rotations of a site's signing key, oldest first, rebuilt from its
 * key history. `init --force` leaves no rotation signature, so the chain stops
 * there: a peer must re-trust such a site by hand.
 */
export function rotationsFromHistory(siteId: string, history: readonly KeyHistoryEntry[]): SignedRotation[] {
  const signing = history.filter((k) => k.kind === 'signing');
  const chain: SignedRotation[] = [];
  for (let i = 1; i < signing.length; i += 1) {
    const previous = signing[i - 1];
    const next = signing[i];
    if (!previous || !next || !next.rotationSignature) {
      chain.length = 0;
      continue;
    }
    chain.push({
      statement: {
        type: 'outpost.key-rotation/v1',
        siteId,
        kind: 'signing',
        previousFingerprint: previous.fingerprint,
        nextPublicKey: next.publicKey,
        nextFingerprint: next.fingerprint,
        at: next.createdAt,
      },
      signature: next.rotationSignature,
    });
  }
  return chain;
}

export type ChainResult = { ok: true; publicKey: string; fingerprint: string; path: SignedRotation[] } | { ok: false; reason: string };

/**
 * Walks from the pinned key to the key that signed the bundle, one rotation at
 * a time; each step must be signed by the key it retires. Anything else —
 * a gap, a statement for another site, a forged step — breaks the chain.
 */
export function followChain(pinned: { siteId: string; publicKey: string; fingerprint: string }, target: string, rotations: readonly SignedRotation[]): ChainResult {
  let current = { publicKey: pinned.publicKey, fingerprint: pinned.fingerprint };
  const path: SignedRotation[] = [];
  for (let steps = 0; current.fingerprint !== target; steps += 1) {
    const step = rotations.find((r) => r.statement.previousFingerprint === current.fingerprint);
    if (!step || steps > rotations.length) {
      return { ok: false, reason: `no signed rotation leads from the pinned key ${pinned.fingerprint} to ${target}` };
    }
    const statement: RotationStatement = step.statement;
    if (statement.siteId !== pinned.siteId || statement.kind !== 'signing') {
      return { ok: false, reason: `a rotation statement names ${statement.siteId}/${statement.kind}, not ${pinned.siteId}/signing` };
    }
    if (signingFingerprint(statement.nextPublicKey) !== statement.nextFingerprint) {
      return { ok: false, reason: `a rotation statement's fingerprint does not match its key (${statement.nextFingerprint})` };
    }
    if (!verifyEd25519(current.publicKey, Buffer.from(canonicalRotationText(statement), 'utf8'), step.signature)) {
      return { ok: false, reason: `the rotation to ${statement.nextFingerprint} is not signed by the key it replaces` };
    }
    path.push(step);
    current = { publicKey: statement.nextPublicKey, fingerprint: statement.nextFingerprint };
  }
  return { ok: true, ...current, path };
}
