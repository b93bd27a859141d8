import { z } from 'zod';

/**
 * The model library: every model this site can plan and launch — HQ's releases (by name and HQ's version),
 * GGUF files on this workstation and GGUF files a scan found on a node.
 */

/** One release of a model as it arrived from HQ (or was issued here, at HQ), oldest record versions first. */
export const ModelReleaseEntrySchema = z.object({
  name: z.string(),
  /** HQ's version label ("2"), not the record's sequence number. */
  version: z.string(),
  /** HQ's record sequence for this name: orders the versions, the higher the newer. */
  recordVersion: z.number().int(),
  /** sha256 of the release's file (its first file when a directory was released). */
  digest: z.string(),
  sizeBytes: z.number().nonnegative(),
  fileCount: z.number().int(),
  /** The site id of HQ that signed it. */
  signer: z.string(),
  /** When HQ released it; null for a release made before HQ recorded the date. */
  releasedAt: z.string().nullable(),
  /** Where its one file is in this data dir (models/<sha256>); null for a directory release or a file not held here. */
  path: z.string().nullable(),
});
export type ModelReleaseEntry = z.infer<typeof ModelReleaseEntrySchema>;

export const LIBRARY_SOURCES = ['release', 'workstation', 'node'] as const;

export const LibraryModelSchema = z.object({
  /** The name applications and `--model` use: the release's name, or the file's name without .gguf. */
  name: z.string(),
  /** HQ's version label for a release; null for a plain file. */
  version: z.string().nullable(),
  source: z.enum(LIBRARY_SOURCES),
  /** What to pass as `--model` (planner.plan's model): name@version, a workstation path; null for a node's file (nodeModel). */
  ref: z.string().nullable(),
  /** The node holding it; null on this workstation. */
  node: z.string().nullable(),
  path: z.string().nullable(),
  /** "workstation: /path", "node-a: /path", "data dir: models/<sha256>". */
  location: z.string(),
  sizeBytes: z.number().nonnegative(),
  architecture: z.string().nullable(),
  quant: z.string().nullable(),
  layers: z.number().int().nullable(),
  digest: z.string().nullable(),
  signer: z.string().nullable(),
  releasedAt: z.string().nullable(),
  /** Newest release of its name: what `--model name` alone takes. */
  newest: z.boolean(),
  /** Why it cannot be planned (header unreadable, not a GGUF file, file missing); null when it can. */
  problem: z.string().nullable(),
});
export type LibraryModel = z.infer<typeof LibraryModelSchema>;

/** A release a plan (and so a deployment) was made from. */
export const ReleaseRefSchema = z.object({ name: z.string(), version: z.string(), digest: z.string() });
export type ReleaseRef = z.infer<typeof ReleaseRefSchema>;
