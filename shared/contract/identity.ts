import { z } from 'zod';
import { defineCall, defineEvent } from './define.js';
import { FingerprintSchema, KeyKindSchema, RoleSchema, SiteIdSchema, SiteIdentitySchema, SshPublicKeySchema } from '../domain/identity.js';

export const identityCalls = {
  'identity.show': defineCall({
    summary: "This site's id, role, public keys and their fingerprints.",
    input: z.object({}).strict(),
    output: SiteIdentitySchema,
    mutates: false,
  }),
  'identity.init': defineCall({
    summary: 'Create the site identity: site id, Ed25519 signing key and Ed25519 SSH key.',
    input: z
      .object({
        siteId: SiteIdSchema.optional(),
        role: RoleSchema.default('site'),
        force: z.boolean().default(false),
      })
      .strict(),
    output: SiteIdentitySchema,
    mutates: true,
  }),
  'identity.sshPublicKey': defineCall({
    summary: "The site's SSH public key and the authorized_keys line that lets it in on each host (restricted to what Outpost uses).",
    input: z.object({}).strict(),
    output: SshPublicKeySchema,
    mutates: false,
  }),
  'identity.rotate': defineCall({
    summary: 'Replace a key; the old public key stays in the history so older signatures still verify.',
    input: z.object({ keys: z.array(KeyKindSchema).min(1).default(['signing']) }).strict(),
    output: SiteIdentitySchema,
    mutates: true,
  }),
};

export const identityEvents = {
  'identity.changed': defineEvent({
    summary: 'The site identity was created or a key rotated.',
    payload: z.object({ siteId: SiteIdSchema, signingFingerprint: FingerprintSchema }),
  }),
};
