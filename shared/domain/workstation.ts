import { z } from 'zod';

export const DiskSchema = z.object({
  mount: z.string(),
  filesystem: z.string(),
  type: z.string(),
  sizeBytes: z.number().nonnegative(),
  usedBytes: z.number().nonnegative(),
});

export const LocalGpuSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  vramMiB: z.number().nonnegative().nullable(),
  driverVersion: z.string().nullable(),
});

export const WorkstationInventorySchema = z.object({
  hostname: z.string(),
  os: z.object({
    platform: z.string(),
    distro: z.string(),
    release: z.string(),
    kernel: z.string(),
    arch: z.string(),
  }),
  cpu: z.object({
    manufacturer: z.string(),
    brand: z.string(),
    logicalCores: z.number().int().nonnegative(),
    physicalCores: z.number().int().nonnegative(),
    speedGHz: z.number().nonnegative().nullable(),
  }),
  memory: z.object({ totalBytes: z.number().nonnegative(), availableBytes: z.number().nonnegative() }),
  disks: z.array(DiskSchema),
  gpus: z.array(LocalGpuSchema),
  collectedAt: z.iso.datetime(),
  /** Parts that systeminformation could not read (with why), rather than silently empty. */
  warnings: z.array(z.string()),
});
export type WorkstationInventory = z.infer<typeof WorkstationInventorySchema>;
