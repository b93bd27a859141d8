import { createHash } from 'node:crypto';
import { BUNDLE_PAYLOAD_TYPE, BundleManifestSchema, LIMITS, type BundleManifest, type TrustedPeer } from '../../../shared/domain/sync.js';
import { OutpostError } from '../../../shared/errors.js';
import { pae, verifyEd25519, type DsseEnvelope } from './dsse.js';
import { followChain } from './key-chain.js';

export interface OpenedEnvelope {
  manifest: BundleManifest;
  /** SHA-256 of the envelope file: the bundle's identity in acknowledgements and on every medium. */
  manifestDigest: string;
  /** Set when the bundle was signed by a newer key reached through signed rotations. */
  rotation: { from: string; to: string; publicKey: string } | null;
}

export interface EnvelopeContext {
  me: string;
  now: Date;
  peer: (siteId: string) => TrustedPeer | undefined;
}

function refuse(message: string, hint: string): never {
  throw new OutpostError('INVALID_INPUT', message, hint);
}

/**
 * Opens a DSSE envelope and decides whether this installation accepts the
 * bundle's manifest: a trusted issuer, a signature by its pinned key or one
 * reached from it by signed rotations (never a retired key), this site as
 * recipient, not expired. Sequence and rollback are the caller's (they need the store).
 */
export function openEnvelope(bytes: Buffer, context: EnvelopeContext): OpenedEnvelope {
  if (bytes.length > LIMITS.envelopeBytes) refuse(`the envelope is ${bytes.length} bytes, over the ${LIMITS.envelopeBytes}-byte limit`, 'this is not an Outpost bundle');
  const manifestDigest = createHash('sha256').update(bytes).digest('hex');
  let envelope: DsseEnvelope;
  let raw: unknown;
  let payload: Buffer;
  try {
    envelope = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
    if (typeof envelope.payload !== 'string' || typeof envelope.payloadType !== 'string' || !Array.isArray(envelope.signatures)) throw new Error('shape');
    payload = Buffer.from(envelope.payload, 'base64');
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    refuse('envelope.json is not a readable DSSE envelope with a JSON manifest (damaged or tampered)', 'ask the sender for a new bundle; nothing was imported');
  }
  if (envelope.payloadType !== BUNDLE_PAYLOAD_TYPE) refuse(`the envelope carries "${String(envelope.payloadType).slice(0, 80)}", not an Outpost bundle manifest`, 'check that this is an Outpost bundle');
  const issuerId = (raw as { issuer?: { siteId?: unknown } } | null)?.issuer?.siteId;
  const peer = typeof issuerId === 'string' ? context.peer(issuerId) : undefined;
  if (!peer) {
    refuse(`the bundle's issuer ${JSON.stringify((typeof issuerId === 'string' ? issuerId : '?').slice(0, 64))} is not a trusted peer`, 'pin the issuer first with `outpost trust add <its trust file>`');
  }
  const signature = envelope.signatures[0];
  if (!signature || typeof signature.keyid !== 'string' || typeof signature.sig !== 'string') refuse('the envelope has no signature', 'ask the sender for a new bundle');
  if (peer.retiredFingerprints.includes(signature.keyid)) {
    refuse(`the bundle is signed by ${signature.keyid}, a key ${peer.siteId} has retired`, 'a retired key is never accepted again; ask for a bundle signed with the current key');
  }
  const parsed = BundleManifestSchema.safeParse(raw);
  // The rotations must be read before the signature can be checked against a newer key; they verify themselves.
  const rotations = parsed.success ? parsed.data.keyRotations : [];
  let signerKey = peer.publicKey;
  let rotation: OpenedEnvelope['rotation'] = null;
  if (signature.keyid !== peer.fingerprint) {
    const chain = followChain(peer, signature.keyid, rotations);
    if (!chain.ok) refuse(`the bundle is signed by ${signature.keyid}, not by ${peer.siteId}'s pinned key ${peer.fingerprint} (${chain.reason})`, 'if the peer started a new identity, pin it again with `outpost trust add`');
    signerKey = chain.publicKey;
    rotation = { from: peer.fingerprint, to: chain.fingerprint, publicKey: chain.publicKey };
  }
  if (!verifyEd25519(signerKey, pae(envelope.payloadType, payload), signature.sig)) {
    refuse(`the manifest's signature does not verify with ${peer.siteId}'s key ${signature.keyid} (damaged or tampered)`, 'ask the sender for a new bundle; nothing was imported');
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(`the signed manifest does not follow the bundle format (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'})`, 'the sender may run a newer Outpost; nothing was imported');
  }
  const manifest = parsed.data;
  if (manifest.issuer.keyFingerprint !== signature.keyid) refuse('the manifest names a different signing key than the envelope', 'ask the sender for a new bundle');
  if (manifest.issuer.role !== peer.role) refuse(`the bundle claims role ${manifest.issuer.role} but ${peer.siteId} is pinned as ${peer.role}`, 'check the trust list');
  if (manifest.recipient !== '*' && manifest.recipient !== context.me) {
    refuse(`the bundle is addressed to ${manifest.recipient}, not to this site (${context.me})`, `import it at ${manifest.recipient}, or ask ${peer.siteId} for a bundle for ${context.me}`);
  }
  if (Date.parse(manifest.expiresAt) <= context.now.getTime()) {
    refuse(`the bundle expired at ${manifest.expiresAt} (sequence ${manifest.sequence} from ${peer.siteId})`, 'an expired bundle could be a stale copy; ask for a fresh export');
  }
  return { manifest, manifestDigest, rotation };
}
