import type { KeyKind } from './identity.js';

/**
 * The statement the retiring signing key signs when a key is replaced. Peers
 * accept a new key only along an unbroken chain of such statements, so its
 * bytes must be canonical: fixed key order, no whitespace.
 */
export interface RotationStatement {
  type: 'outpost.key-rotation/v1';
  siteId: string;
  kind: KeyKind;
  previousFingerprint: string;
  nextPublicKey: string;
  nextFingerprint: string;
  at: string;
}

/** The statement as the UTF-8 text that is signed and verified (identity signs it, sync checks chains of it). */
export function canonicalRotationText(statement: RotationStatement): string {
  const ordered: RotationStatement = {
    type: statement.type,
    siteId: statement.siteId,
    kind: statement.kind,
    previousFingerprint: statement.previousFingerprint,
    nextPublicKey: statement.nextPublicKey,
    nextFingerprint: statement.nextFingerprint,
    at: statement.at,
  };
  return JSON.stringify(ordered);
}
