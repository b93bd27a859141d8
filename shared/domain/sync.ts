import { z } from 'zod';
import { CalibrationSetSchema } from './calibration.js';
import { ExportTargetSchema, NextMediumSchema } from './drives.js';
import { FingerprintSchema, RoleSchema, SiteIdSchema } from './identity.js';
import { JournalEntrySchema } from './journal.js';
import { RouterPolicySchema } from './router.js';
import { TelemetryReportSchema } from './telemetry.js';
import { DeploymentSchema } from './workers.js';

/**
 * The bundle format and the sync domain. The manifest schema is the format's
 * definition (docs/bundle-format.md explains it in words); its limits are the
 * defence against endless-data manifests, checked before any chunk is read.
 */
export const BUNDLE_PAYLOAD_TYPE = 'application/vnd.outpost.bundle-manifest+json; version=1';
export const TRUST_FILE_TYPE = 'outpost.trust/v1';
export const LIMITS = {
  envelopeBytes: 64 * 1024 * 1024,
  chunkBytes: 4 * 1024 * 1024,
  bundleBytes: 256 * 1024 ** 3,
  chunks: 1 << 20,
  fileBytes: 256 * 1024 ** 3,
  records: 100_000,
  media: 1_000,
} as const;

export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest is 64 lowercase hex characters');
const Iso = z.iso.datetime();
const RecordKeySchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/, 'a record key is 1–200 of A–Z, a–z, 0–9 and ._:@+-');
export const ModelNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'a model name is 1–128 of A–Z, a–z, 0–9 and ._+-');
export const ReleaseLabelSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'a version is 1–64 of A–Z, a–z, 0–9 and ._+-');

/** A relative POSIX path inside a model directory: no absolute path, no `..`, no `.`, no backslash. */
export function isSafeRelativePath(value: string): boolean {
  if (value.length === 0 || value.length > 255 || value.startsWith('/')) return false;
  return value.split('/').every((segment) => /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,127}$/.test(segment) && segment !== '.' && segment !== '..');
}
export const RelativePathSchema = z.string().refine(isSafeRelativePath, 'a file name must be a relative path without "..", "." or an absolute part');

// ---- trust -----------------------------------------------------------------

export const SignedRotationSchema = z
  .object({
    statement: z
      .object({
        type: z.literal('outpost.key-rotation/v1'),
        siteId: SiteIdSchema,
        kind: z.literal('signing'),
        previousFingerprint: FingerprintSchema,
        nextPublicKey: z.string().max(100),
        nextFingerprint: FingerprintSchema,
        at: Iso,
      })
      .strict(),
    signature: z.string().max(200),
  })
  .strict();
export type SignedRotation = z.infer<typeof SignedRotationSchema>;

export const TrustFileSchema = z
  .object({
    type: z.literal(TRUST_FILE_TYPE),
    siteId: SiteIdSchema,
    role: RoleSchema,
    signingKey: z.object({ publicKey: z.string().max(100), fingerprint: FingerprintSchema }).strict(),
    rotations: z.array(SignedRotationSchema).max(1000),
    exportedAt: Iso,
  })
  .strict();
export type TrustFile = z.infer<typeof TrustFileSchema>;

export const TrustedPeerSchema = z.object({
  siteId: SiteIdSchema,
  role: RoleSchema,
  fingerprint: FingerprintSchema,
  publicKey: z.string(),
  addedAt: Iso,
  updatedAt: Iso,
  retiredFingerprints: z.array(FingerprintSchema),
});
export type TrustedPeer = z.infer<typeof TrustedPeerSchema>;

// ---- policy ----------------------------------------------------------------

/** Routing and planner policy that HQ sets for its sites (`outpost release policy set`). */
export const PolicySchema = z
  .object({
    routing: z
      .object({
        defaultModel: ModelNameSchema,
        tiers: z
          .array(z.object({ name: z.enum(['site', 'edge', 'upstream']), models: z.array(ModelNameSchema).max(100), maxQueueDepth: z.number().int().positive().max(10_000).optional() }).strict())
          .min(1)
          .max(3),
        // maxAttempts − 1 is the router's maxRetries (at most 5).
        failover: z.object({ maxAttempts: z.number().int().min(1).max(6), retryOnStatus: z.array(z.number().int().min(400).max(599)).max(20) }).strict(),
      })
      .strict(),
    /** The router's other knobs; a field left out takes the router's default, so the policy alone decides what a site's router runs with. */
    router: RouterPolicySchema.omit({ maxRetries: true }).partial().strict().optional(),
    planner: z
      .object({
        objective: z.enum(['throughput', 'latency']),
        maxMemoryFill: z.number().min(0.5).max(0.98),
        preferredQuants: z
          .array(z.string().regex(/^[A-Za-z0-9_]{1,16}$/))
          .min(1)
          .max(20),
      })
      .strict(),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

// ---- versioned records -----------------------------------------------------

export const ModelFileSchema = z.object({ path: RelativePathSchema, digest: Sha256HexSchema, size: z.number().int().nonnegative().max(LIMITS.fileBytes) }).strict();
export const ModelReleaseSchema = z
  .object({ name: ModelNameSchema, label: ReleaseLabelSchema, files: z.array(ModelFileSchema).min(1).max(10_000), /** When HQ released it (absent in releases made before it was recorded). */ releasedAt: Iso.optional() })
  .strict();
export type ModelRelease = z.infer<typeof ModelReleaseSchema>;

const recordBase = { key: RecordKeySchema, version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), issuer: SiteIdSchema };
export const SyncRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('model'), ...recordBase, value: ModelReleaseSchema }).strict(),
  z.object({ kind: z.literal('policy'), ...recordBase, value: PolicySchema }).strict(),
  z.object({ kind: z.literal('site.journal'), ...recordBase, value: z.object({ entries: z.array(JournalEntrySchema).max(100_000) }).strict() }).strict(),
  z.object({ kind: z.literal('site.inventory'), ...recordBase, value: z.object({ nodes: z.array(z.record(z.string(), z.unknown())).max(10_000) }).strict() }).strict(),
  z.object({ kind: z.literal('site.telemetry'), ...recordBase, value: TelemetryReportSchema }).strict(),
  z.object({ kind: z.literal('site.deployments'), ...recordBase, value: z.object({ deployments: z.array(DeploymentSchema).max(10_000) }).strict() }).strict(),
  /** A site's own plan-vs-actual calibration (its measurements), kept at HQ per site. */
  z.object({ kind: z.literal('site.calibration'), ...recordBase, value: CalibrationSetSchema }).strict(),
  /** HQ's merged calibration (`outpost release calibration set`), applied by each site's planner. */
  z.object({ kind: z.literal('calibration'), ...recordBase, value: CalibrationSetSchema }).strict(),
]);
export type SyncRecord = z.infer<typeof SyncRecordSchema>;
export type RecordKind = SyncRecord['kind'];
/** Which role may issue which kind: a site cannot push policy, HQ does not report a site's journal. */
export const KINDS_BY_ROLE: Record<z.infer<typeof RoleSchema>, readonly RecordKind[]> = {
  hq: ['model', 'policy', 'calibration'],
  site: ['site.journal', 'site.inventory', 'site.telemetry', 'site.deployments', 'site.calibration'],
};

export const StoredRecordSchema = z.object({
  kind: z.string(),
  key: z.string(),
  version: z.number().int(),
  issuer: SiteIdSchema,
  origin: z.enum(['local', 'imported']),
  updatedAt: Iso,
  valueDigest: Sha256HexSchema,
  value: z.unknown(),
});
export type StoredRecord = z.infer<typeof StoredRecordSchema>;

// ---- the manifest ----------------------------------------------------------

export const ChunkRefSchema = z.tuple([Sha256HexSchema, z.number().int().positive().max(LIMITS.chunkBytes)]);
export const BundleFileSchema = z.object({ digest: Sha256HexSchema, size: z.number().int().nonnegative().max(LIMITS.fileBytes), chunks: z.array(ChunkRefSchema).max(LIMITS.chunks) }).strict();
export type BundleFile = z.infer<typeof BundleFileSchema>;

export const AcknowledgementSchema = z.object({ issuer: SiteIdSchema, sequence: z.number().int().positive(), manifestDigest: Sha256HexSchema }).strict();
export type Acknowledgement = z.infer<typeof AcknowledgementSchema>;

export const BundleManifestSchema = z
  .object({
    type: z.literal('outpost.bundle-manifest/v1'),
    issuer: z.object({ siteId: SiteIdSchema, role: RoleSchema, keyFingerprint: FingerprintSchema }).strict(),
    /** A site id, or "*" for any site that trusts an HQ issuer. */
    recipient: z.union([SiteIdSchema, z.literal('*')]),
    sequence: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    createdAt: Iso,
    expiresAt: Iso,
    records: z.array(SyncRecordSchema).max(LIMITS.records),
    files: z.array(BundleFileSchema).max(100_000),
    acknowledgements: z.array(AcknowledgementSchema).max(100_000),
    keyRotations: z.array(SignedRotationSchema).max(1000),
    /** The chunks each medium carries, in order; chunks the recipient already holds are on none. */
    media: z
      .array(z.object({ chunks: z.array(Sha256HexSchema).max(LIMITS.chunks) }).strict())
      .min(1)
      .max(LIMITS.media),
    totals: z.object({ bytes: z.number().int().nonnegative(), chunks: z.number().int().nonnegative() }).strict(),
  })
  .strict();
export type BundleManifest = z.infer<typeof BundleManifestSchema>;

export const MediumDescriptorSchema = z
  .object({
    type: z.literal('outpost.bundle-medium/v1'),
    manifestDigest: Sha256HexSchema,
    index: z.number().int().min(1),
    count: z.number().int().min(1),
    bytes: z.number().int().nonnegative(),
    /** The labels of the drives medium 1…count were written to, so an import can ask for the next one by name. */
    driveLabels: z.array(z.string().max(128).nullable()).max(1000).optional(),
  })
  .strict();
export type MediumDescriptor = z.infer<typeof MediumDescriptorSchema>;

// ---- results ---------------------------------------------------------------

export const RecordChangeSchema = z.object({
  kind: z.string(),
  key: z.string(),
  incomingVersion: z.number().int(),
  currentVersion: z.number().int().nullable(),
  /** new: not here yet; update: higher version; unchanged: same version and value; superseded: ours is newer; conflict: see resolution */
  change: z.enum(['new', 'update', 'unchanged', 'superseded', 'conflict']),
  resolution: z.string().nullable(),
  /** A model release: HQ's version label (not the record number), its size and its file's digest. */
  release: z.object({ name: z.string(), version: z.string(), sizeBytes: z.number().nonnegative(), digest: z.string() }).optional(),
});
export type RecordChange = z.infer<typeof RecordChangeSchema>;

export const BundleSummarySchema = z.object({
  issuer: SiteIdSchema,
  issuerRole: RoleSchema,
  recipient: z.string(),
  sequence: z.number().int(),
  manifestDigest: Sha256HexSchema,
  createdAt: Iso,
  expiresAt: Iso,
  bytes: z.number().int(),
  chunks: z.number().int(),
  files: z.number().int(),
  records: z.number().int(),
  media: z.number().int(),
});
export type BundleSummary = z.infer<typeof BundleSummarySchema>;

export const ImportResultSchema = z.object({
  bundle: BundleSummarySchema,
  /** applied; unchanged: this bundle was imported before; incomplete: media still missing; preview: --dry-run */
  state: z.enum(['applied', 'unchanged', 'incomplete', 'preview']),
  changes: z.array(RecordChangeSchema),
  keyRotation: z.object({ from: FingerprintSchema, to: FingerprintSchema }).nullable(),
  acknowledged: z.array(z.number().int()),
  missingMedia: z.array(z.number().int()),
  chunksStaged: z.number().int(),
  chunksAlreadyStaged: z.number().int(),
  chunksHeldLocally: z.number().int(),
  filesStored: z.number().int(),
  /** The medium still needed, by the label of its drive (null when none is). */
  nextMedium: NextMediumSchema.nullable(),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export const VerifyResultSchema = z.object({ bundle: BundleSummarySchema, chunksVerified: z.number().int(), filesVerified: z.number().int(), bytesRead: z.number().int() });
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

export const ExportResultSchema = z.object({
  bundle: BundleSummarySchema,
  path: z.string(),
  mediaPaths: z.array(z.string()),
  chunksLeftOut: z.number().int(),
  bytesWritten: z.number().int(),
  /** Every file and folder was flushed to the drives before the bundle was made to look complete. */
  safeToRemove: z.boolean(),
  /** The drive (or directory) each medium went to. */
  targets: z.array(ExportTargetSchema),
});
export type ExportResult = z.infer<typeof ExportResultSchema>;

export const ExchangeSchema = z.object({
  id: z.number().int(),
  direction: z.enum(['export', 'import']),
  at: Iso,
  peer: z.string().nullable(),
  sequence: z.number().int().nullable(),
  bytes: z.number().int().nullable(),
  outcome: z.string().nullable(),
  summary: z.string().nullable(),
  digest: z.string().nullable(),
});
export type Exchange = z.infer<typeof ExchangeSchema>;

export const SyncProgressSchema = z.object({
  jobId: z.string(),
  // 'stage' verifies each chunk and writes it into its file in one pass; a file is renamed into models/ as it completes.
  phase: z.enum(['release', 'export', 'verify', 'stage']),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  bytesPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
});
export type SyncProgress = z.infer<typeof SyncProgressSchema>;
