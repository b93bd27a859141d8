import { z } from 'zod';

export const SITE_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$/;

export const SiteIdSchema = z.string().regex(SITE_ID_PATTERN, 'a site id is 3–64 characters of a–z, 0–9 and "-", starting and ending with a letter or digit');

export const RoleSchema = z.enum(['site', 'hq']);
export type Role = z.infer<typeof RoleSchema>;

export const FingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint reads SHA256: followed by 43 base64 characters');

export const KeyKindSchema = z.enum(['signing', 'ssh']);
export type KeyKind = z.infer<typeof KeyKindSchema>;

export const PublicKeySchema = z.object({
  kind: KeyKindSchema,
  algorithm: z.literal('ed25519'),
  /** signing: base64 of the raw 32-byte key; ssh: the OpenSSH public key line. */
  publicKey: z.string(),
  fingerprint: FingerprintSchema,
  createdAt: z.iso.datetime(),
});
export type PublicKey = z.infer<typeof PublicKeySchema>;

export const KeyHistoryEntrySchema = PublicKeySchema.extend({
  retiredAt: z.iso.datetime().nullable(),
  /**
   * For a key that replaced another: the old signing key's signature over the
   * rotation statement, so peers can follow an unbroken chain of keys.
   */
  rotationSignature: z.string().nullable(),
});
export type KeyHistoryEntry = z.infer<typeof KeyHistoryEntrySchema>;

export const SiteIdentitySchema = z.object({
  siteId: SiteIdSchema,
  role: RoleSchema,
  createdAt: z.iso.datetime(),
  signingKey: PublicKeySchema,
  sshKey: PublicKeySchema,
  history: z.array(KeyHistoryEntrySchema),
});
export type SiteIdentity = z.infer<typeof SiteIdentitySchema>;

/** What a technician puts on each host so the site can log in: the key, and the whole authorized_keys line. */
export const SshPublicKeySchema = z.object({
  /** The OpenSSH public key line, as `keys/id_ed25519.pub` holds it. */
  publicKey: z.string(),
  fingerprint: FingerprintSchema,
  /** Names the site in each host's authorized_keys, so an admin there knows whose key it is. */
  comment: z.string(),
  /** The options that keep the key to what Outpost does on a host: commands, file copy and port-forwards (no pty, agent or X11). */
  options: z.string(),
  /** One line to append to `~/.ssh/authorized_keys` of the login Outpost scans with. */
  authorizedKeysLine: z.string(),
});
export type SshPublicKey = z.infer<typeof SshPublicKeySchema>;
