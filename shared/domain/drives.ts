import { z } from 'zod';

/** A bundle (or one medium of one) found at the top level of a drive. */
export const DriveBundleSchema = z.object({
  path: z.string(),
  manifestDigest: z.string().nullable(),
  /** Who wrote it, for whom, and its sequence, as its manifest says (not yet verified: the import checks the signature). */
  issuer: z.string().nullable(),
  recipient: z.string().nullable(),
  sequence: z.number().int().nullable(),
  /** Written by this installation (its own export, not something to import here). */
  fromHere: z.boolean(),
  /** This drive's medium, 1-based, and how many media the bundle has. */
  medium: z.number().int().nullable(),
  count: z.number().int().nullable(),
  /** An export that never finished (the drive was removed, or it failed): it cannot be imported. */
  incomplete: z.boolean(),
});
export type DriveBundle = z.infer<typeof DriveBundleSchema>;

/** A mounted removable or hot-plugged drive: an export target and, when it holds a bundle, an import source. */
export const DriveSchema = z.object({
  device: z.string(),
  label: z.string(),
  mount: z.string(),
  size: z.number().int().nonnegative(),
  free: z.number().int().nonnegative(),
  removable: z.boolean(),
  hotplug: z.boolean(),
  bundles: z.array(DriveBundleSchema),
});
export type Drive = z.infer<typeof DriveSchema>;

/** Where one medium of an export goes: the drive's bundle directory, its label and its free space. */
export const ExportTargetSchema = z.object({ label: z.string().nullable(), path: z.string(), free: z.number().int().nonnegative() });
export type ExportTarget = z.infer<typeof ExportTargetSchema>;

/** The export's size against the chosen drives' free space, decided before a byte is written. */
export const ExportPlanSchema = z.object({
  bundleBytes: z.number().int().nonnegative(),
  freeBytes: z.number().int().nonnegative(),
  targets: z.array(ExportTargetSchema),
  fits: z.boolean(),
  /** Media the bundle needs on drives of the chosen size (1 when it fits on one). */
  mediaNeeded: z.number().int().min(1),
  /** What to do, in a sentence: export, split across N drives, or choose a larger drive. */
  advice: z.string(),
});
export type ExportPlan = z.infer<typeof ExportPlanSchema>;

/** The medium an import still needs, and the drive it was written to. */
export const NextMediumSchema = z.object({ index: z.number().int().min(1), count: z.number().int().min(1), label: z.string().nullable(), manifestDigest: z.string(), prompt: z.string() });
export type NextMedium = z.infer<typeof NextMediumSchema>;
