export { IdentityService, type IdentityDeps } from './service.js';
export { IdentityRepository } from './adapters/identity-repository.js';
export { KeyVault, generateSshKeyPair } from './adapters/key-vault.js';
export { sha256Fingerprint, sshPublicKeyFingerprint } from '../platform/ssh/fingerprint.js';
export { canonicalRotationBytes, type RotationStatement } from './core/rotation.js';
export { identityHandlers } from './handlers.js';
