/** The one SSH layer: pinned connections, commands, followed streams, SFTP uploads, port-forwards. */
export { SshFailure, connectTcp, abortError, isAbortError, type SshFailureKind, type SshConnectOptions } from './connect.js';
export { SshSession } from './session.js';
export type { RemoteShell, ExecOptions, ExecResult, FollowedCommand } from './remote-shell.js';
export type { UploadOptions, UploadResult } from './upload.js';
export { OPENSSH_MIN_BYTES, openSshSftp } from './openssh-copy.js';
export type { PortForward } from './forward.js';
export { keyTypeOfBlob, presentedHostKey, matchesPin, publicKeyLine, type HostKeyIdentity } from './host-key.js';
export { sha256Fingerprint, sshPublicKeyFingerprint } from './core/fingerprint.js';
export { PinnedSsh, sshFailureOf, type PinnedSshDeps, type HostKeyPins, type NodeDirectory, type NodeEndpoint, type SshLogin, type SshEndpoint, type AddressTarget, type OpenOptions } from './pinned.js';
