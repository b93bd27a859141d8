import type { KeyKind } from '../../../shared/domain/identity.js';

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

export function canonicalRotationBytes(statement: RotationStatement): Buffer {
  const ordered: RotationStatement = {
    type: statement.type,
    siteId: statement.siteId,
    kind: statement.kind,
    previousFingerprint: statement.previousFingerprint,
    nextPublicKey: statement.nextPublicKey,
    nextFingerprint: statement.nextFingerprint,
    at: statement.at,
  };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}
