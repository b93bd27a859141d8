export { IdentityService, type IdentityDeps } from './service.js';
export { IdentityRepository } from './adapters/identity-repository.js';
export { KeyVault, generateSshKeyPair } from './adapters/key-vault.js';
export { sha256Fingerprint, sshPublicKeyFingerprint } from '../platform/ssh/core/fingerprint.js';
export { canonicalRotationText, type RotationStatement } from '../../shared/domain/key-rotation.js';
export { identityHandlers } from './handlers.js';
