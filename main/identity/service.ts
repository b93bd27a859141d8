import type { KeyKind, Role, SiteIdentity, SshPublicKey } from '../../shared/domain/identity.js';
import { sshPublicKeyFor } from './core/authorized-keys.js';
import { OutpostError } from '../../shared/errors.js';
import type { IdentityRepository, NewKey } from './adapters/identity-repository.js';
import type { KeyMaterial, KeyVault, StagedKey } from './adapters/key-vault.js';
import { sha256Fingerprint, sshPublicKeyFingerprint } from '../platform/ssh/core/fingerprint.js';
import { canonicalRotationText } from '../../shared/domain/key-rotation.js';
import { defaultSiteId } from './core/site-id.js';

export interface IdentityDeps {
  repository: IdentityRepository;
  vault: KeyVault;
  now: () => Date;
  hostname: () => string;
  randomSuffix: () => string;
}

const KINDS: readonly KeyKind[] = ['signing', 'ssh'];

export class IdentityService {
  constructor(private readonly deps: IdentityDeps) {}

  current(): SiteIdentity | null {
    return this.deps.repository.get();
  }

  show(): SiteIdentity {
    const identity = this.current();
    if (!identity) {
      throw new OutpostError('PRECONDITION', 'this data dir has no site identity yet', 'run `outpost keys init` first');
    }
    return identity;
  }

  /** The SSH public key and its authorized_keys line, for the technician to put on each host. */
  sshPublicKey(): SshPublicKey {
    const identity = this.show();
    return sshPublicKeyFor(identity.sshKey.publicKey, identity.sshKey.fingerprint, identity.siteId);
  }

  init(request: { siteId?: string | undefined; role: Role; force: boolean }): SiteIdentity {
    const existing = this.current();
    if (!request.force && (existing || this.deps.vault.hasAny())) {
      const what = existing ? `site ${existing.siteId} already has an identity` : 'the keys/ folder already holds private keys';
      throw new OutpostError('CONFLICT', `${what}; nothing was overwritten`, 'use `outpost keys rotate` to replace keys, or `outpost keys init --force` to start a new identity (peers must then re-trust this site)');
    }
    const siteId = request.siteId ?? defaultSiteId(this.deps.hostname(), this.deps.randomSuffix());
    const createdAt = this.deps.now().toISOString();
    const materials = KINDS.map((kind) => this.deps.vault.generate(kind, `outpost@${siteId}`));
    this.commitKeys(materials, (keys) =>
      this.deps.repository.replace(
        { siteId, role: request.role, createdAt },
        keys.map((k) => ({ ...k, rotationSignature: null })),
      ),
    );
    return this.show();
  }

  /**
   * Every statement is signed by the signing key that was live before this
   * rotation: that is what lets a peer who trusts the old key accept the new one.
   */
  rotate(request: { keys: KeyKind[] }): SiteIdentity {
    const identity = this.show();
    const at = this.deps.now().toISOString();
    const kinds = KINDS.filter((kind) => request.keys.includes(kind));
    const materials = kinds.map((kind) => this.deps.vault.generate(kind, `outpost@${identity.siteId}`));
    const signatures = new Map<KeyKind, string>();
    for (const material of materials) {
      const previous = material.kind === 'signing' ? identity.signingKey : identity.sshKey;
      const statement = canonicalRotationText({
        type: 'outpost.key-rotation/v1',
        siteId: identity.siteId,
        kind: material.kind,
        previousFingerprint: previous.fingerprint,
        nextPublicKey: material.publicKey.trim(),
        nextFingerprint: fingerprintOf(material),
        at,
      });
      signatures.set(material.kind, this.deps.vault.sign(Buffer.from(statement, 'utf8')));
    }
    this.commitKeys(materials, (keys) =>
      this.deps.repository.rotate(
        keys.map((k) => ({ ...k, rotationSignature: signatures.get(k.kind) ?? null })),
        at,
      ),
    );
    return this.show();
  }

  /** Stage files, write rows, then swap files in: a failed row write leaves the old keys live. */
  private commitKeys(materials: KeyMaterial[], writeRows: (keys: Omit<NewKey, 'rotationSignature'>[]) => void): void {
    const staged: StagedKey[] = [];
    try {
      for (const material of materials) staged.push(this.deps.vault.stage(material));
      writeRows(materials.map((m) => ({ kind: m.kind, publicKey: m.publicKey.trim(), fingerprint: fingerprintOf(m) })));
    } catch (error) {
      staged.forEach((s) => s.discard());
      throw error;
    }
    staged.forEach((s) => s.commit());
  }
}

function fingerprintOf(material: KeyMaterial): string {
  return material.kind === 'ssh' ? sshPublicKeyFingerprint(material.publicKey) : sha256Fingerprint(Buffer.from(material.publicKey, 'base64'));
}
