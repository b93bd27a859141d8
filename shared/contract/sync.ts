import { z } from 'zod';
import { CalibrationSetSchema } from '../domain/calibration.js';
import { defineCall, defineEvent } from './define.js';
import { DriveSchema, ExportPlanSchema } from '../domain/drives.js';
import { FingerprintSchema, RoleSchema, SiteIdSchema } from '../domain/identity.js';
import { ExchangeSchema, ExportResultSchema, ImportResultSchema, ModelNameSchema, PolicySchema, ReleaseLabelSchema, StoredRecordSchema, SyncProgressSchema, TrustedPeerSchema, TrustFileSchema, VerifyResultSchema } from '../domain/sync.js';

const PathSchema = z.string().min(1).max(4096);
/** Chosen by the caller so it can follow progress events and cancel before the call returns. */
const JobIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/);
const MediaSchema = z.array(PathSchema).min(1).max(1000);
/** A typed directory, or drives by mount point (medium 1 on the first). */
const ExportDestinationSchema = z.object({
  to: PathSchema.optional(),
  drives: z.array(PathSchema).min(1).max(64).optional(),
  for: SiteIdSchema.optional(),
  maxMediumSize: z.number().int().positive().optional(),
});
const oneDestination = (input: { to?: string | undefined; drives?: string[] | undefined }) => (input.to === undefined) !== (input.drives === undefined);
const ONE_DESTINATION = { message: 'give either a directory (to) or drives, not both and not neither' };

export const syncCalls = {
  'sync.trustExport': defineCall({
    summary: "This installation's trust file: site id, role, signing key and its signed rotations; `to`: also write it there (never over an existing file).",
    input: z.object({ to: PathSchema.optional() }).strict(),
    output: TrustFileSchema,
    mutates: false,
  }),
  'sync.trustInspect': defineCall({
    summary: "Read a peer trust file and show its fingerprint before pinning it; `role`: the role the file must have (HQ's where HQ's is expected).",
    input: z.object({ path: PathSchema, role: RoleSchema.optional() }).strict(),
    output: z.object({ trust: TrustFileSchema, fingerprint: FingerprintSchema, status: z.enum(['new', 'same', 'different-key']) }),
    mutates: false,
  }),
  'sync.trustAdd': defineCall({
    summary: 'Pin a peer from its trust file; the fingerprint the person confirmed must match the file.',
    input: z.object({ path: PathSchema, fingerprint: FingerprintSchema, role: RoleSchema.optional() }).strict(),
    output: TrustedPeerSchema,
    mutates: true,
  }),
  'sync.trustRemove': defineCall({
    summary: 'Stop trusting a peer: its bundles are refused from now on (this installation itself cannot be removed).',
    input: z.object({ site: SiteIdSchema }).strict(),
    output: z.object({ removed: SiteIdSchema, fingerprint: FingerprintSchema }),
    mutates: true,
  }),
  'sync.trustList': defineCall({
    summary: 'Trusted peers with their current key fingerprints.',
    input: z.object({}).strict(),
    output: z.array(TrustedPeerSchema),
    mutates: false,
  }),
  'sync.releaseModel': defineCall({
    summary: 'HQ: store a model file or directory by digest and issue the next version of its record.',
    input: z.object({ path: PathSchema, name: ModelNameSchema, version: ReleaseLabelSchema, jobId: JobIdSchema.optional() }).strict(),
    output: StoredRecordSchema,
    mutates: true,
  }),
  'sync.releasePolicy': defineCall({
    summary: 'HQ: issue the next version of the routing and planner policy.',
    input: z.object({ policy: PolicySchema }).strict(),
    output: StoredRecordSchema,
    mutates: true,
  }),
  'sync.releaseCalibration': defineCall({
    summary: 'HQ: issue the next version of the merged plan-vs-actual calibration; each site applies it at import (absurd factors refused by name).',
    input: z.object({ calibration: CalibrationSetSchema }).strict(),
    output: StoredRecordSchema,
    mutates: true,
  }),
  'sync.records': defineCall({
    summary: 'Current versioned records (model releases, policy, site reports).',
    input: z.object({ kind: z.string().max(40).optional() }).strict(),
    output: z.array(StoredRecordSchema),
    mutates: false,
  }),
  'sync.export': defineCall({
    summary: 'Write a signed bundle to a directory or to drives (split across media when asked or when one drive is too small); refused before writing when it does not fit.',
    input: ExportDestinationSchema.extend({ jobId: JobIdSchema.optional() }).strict().refine(oneDestination, ONE_DESTINATION),
    output: ExportResultSchema,
    mutates: true,
  }),
  'sync.exportPlan': defineCall({
    summary: "The bundle's size against the free space of the chosen directory or drives, and whether to split it, before anything is written.",
    input: ExportDestinationSchema.strict().refine(oneDestination, ONE_DESTINATION),
    output: ExportPlanSchema,
    mutates: false,
  }),
  'sync.drives': defineCall({
    summary: 'Mounted removable or hot-plugged drives: label, mount point, size, free space, and the bundles they hold.',
    input: z.object({}).strict(),
    output: z.array(DriveSchema),
    mutates: false,
  }),
  'sync.verify': defineCall({
    summary: 'Check a bundle completely (signature, trust, expiry, recipient, sequence, every chunk and file) without importing.',
    input: z.object({ media: MediaSchema, jobId: JobIdSchema.optional() }).strict(),
    output: VerifyResultSchema,
    mutates: false,
  }),
  'sync.import': defineCall({
    summary: 'Verify, preview and apply a bundle in one transaction; one medium at a time is fine.',
    input: z.object({ media: MediaSchema, dryRun: z.boolean().default(false), jobId: JobIdSchema.optional() }).strict(),
    output: ImportResultSchema,
    mutates: true,
  }),
  'sync.exchanges': defineCall({
    summary: 'Bundle history: exports and imports, newest first.',
    input: z.object({ limit: z.number().int().min(1).max(1000).default(50) }).strict(),
    output: z.array(ExchangeSchema),
    mutates: false,
  }),
  'sync.cancel': defineCall({
    summary: 'Cancel a running release, export, verify or import by its job id.',
    input: z.object({ jobId: JobIdSchema }).strict(),
    output: z.object({ cancelled: z.boolean() }),
    mutates: false,
  }),
};

export const syncEvents = {
  'sync.progress': defineEvent({
    summary: 'Bytes done, throughput and ETA of a running release, export, verify or import.',
    payload: SyncProgressSchema,
  }),
  'sync.exchanged': defineEvent({
    summary: 'A bundle was exported or applied: the history and the hours since the last exchange have moved.',
    payload: z.object({ direction: z.enum(['export', 'import']), peer: z.string(), sequence: z.number().int() }),
  }),
};
