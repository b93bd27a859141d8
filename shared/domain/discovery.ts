import { z } from 'zod';

export interface PhysicalBound {
  min: number;
  max: number;
  unit: string;
  integer?: boolean;
}

/**
 * What a real machine can report. A reading outside its bound comes from a broken or hostile
 * host: the probe keeps that field as unreadable (null) with the reason in the node's warnings,
 * and a stored value outside it (from an older Outpost) reads as null, never as a wrong figure.
 */
export const INVENTORY_BOUNDS = {
  /** 1 PiB of RAM in one host. */
  hostMemoryBytes: { min: 0, max: 2 ** 50, unit: 'bytes' },
  /** 64 TiB on one GPU, in MiB as nvidia-smi counts. */
  gpuMemoryMiB: { min: 0, max: 64 * 2 ** 20, unit: 'MiB' },
  utilizationPct: { min: 0, max: 100, unit: '%' },
  temperatureC: { min: -50, max: 150, unit: '°C' },
  powerW: { min: 0, max: 5000, unit: 'W' },
  /** 1 EiB for one disk or one model file. */
  sizeBytes: { min: 0, max: 2 ** 60, unit: 'bytes' },
  cpuCores: { min: 1, max: 65_536, unit: 'CPUs', integer: true },
} as const satisfies Record<string, PhysicalBound>;

/** A reading within its bound, or null; a stored value outside it reads as null instead of failing the whole node. */
const reading = (bound: PhysicalBound) => {
  const number = z.number().min(bound.min).max(bound.max);
  return (bound.integer ? number.int() : number).nullable().catch(null);
};

/** One GPU as nvidia-smi reports it, or a Jetson's integrated GPU (which shares the system RAM). */
export const NodeGpuSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  uuid: z.string().nullable(),
  memoryTotalMiB: reading(INVENTORY_BOUNDS.gpuMemoryMiB),
  memoryUsedMiB: reading(INVENTORY_BOUNDS.gpuMemoryMiB),
  utilizationPct: reading(INVENTORY_BOUNDS.utilizationPct),
  temperatureC: reading(INVENTORY_BOUNDS.temperatureC),
  powerW: reading(INVENTORY_BOUNDS.powerW),
  pciBusId: z.string().nullable(),
  driverVersion: z.string().nullable(),
  /** MIG instances carved out of this GPU (`nvidia-smi -L`), empty when MIG is off. */
  migDevices: z.array(z.object({ profile: z.string(), uuid: z.string() })),
  unifiedMemory: z.boolean(),
});

export const JetsonSchema = z.object({
  /** /proc/device-tree/model, e.g. "NVIDIA Jetson AGX Orin Developer Kit". */
  model: z.string().nullable(),
  /** From /etc/nv_tegra_release, e.g. "R36.4.0". */
  l4tRelease: z.string().nullable(),
  board: z.string().nullable(),
});

export const ENGINE_NAMES = ['llama-server', 'rpc-server', 'vllm'] as const;
export const EngineSchema = z.object({
  engine: z.enum(ENGINE_NAMES),
  path: z.string(),
  version: z.string().nullable(),
});

export const ModelFileSchema = z.object({
  /** A GGUF file, or a directory of safetensors shards. */
  path: z.string(),
  format: z.enum(['gguf', 'safetensors']),
  sizeBytes: z.number().nonnegative(),
  /** sha256 of the first MiB (GGUF header and metadata): tells copies of one file apart from different files. */
  headerDigest: z.string().nullable(),
});

export const NodeDiskSchema = z.object({
  mount: z.string(),
  sizeBytes: reading(INVENTORY_BOUNDS.sizeBytes),
  freeBytes: reading(INVENTORY_BOUNDS.sizeBytes),
});

/** What one probe of a remote host found. */
export const NodeInventorySchema = z.object({
  hostname: z.string(),
  os: z.object({ name: z.string().nullable(), kernel: z.string().nullable(), arch: z.string().nullable() }),
  cpu: z.object({ model: z.string().nullable(), cores: reading(INVENTORY_BOUNDS.cpuCores) }),
  memory: z.object({ totalBytes: reading(INVENTORY_BOUNDS.hostMemoryBytes), availableBytes: reading(INVENTORY_BOUNDS.hostMemoryBytes) }),
  disks: z.array(NodeDiskSchema),
  gpuStatus: z.enum(['ok', 'none', 'driver-error']),
  /** nvidia-smi's own words when it failed (driver not loaded, version mismatch…). */
  gpuError: z.string().nullable(),
  gpus: z.array(NodeGpuSchema),
  jetson: JetsonSchema.nullable(),
  engines: z.array(EngineSchema),
  modelFiles: z.array(ModelFileSchema),
  listeningPorts: z.array(z.number().int()),
  /** Parts that could not be read, and fields refused as unreadable (out of physical bounds, control characters removed), each with why. */
  warnings: z.array(z.string()),
  collectedAt: z.string(),
});

/** One line of "what changed since the last scan". */
export const NodeChangeSchema = z.object({
  subject: z.enum(['node', 'gpu', 'memory', 'cpu', 'os', 'engine', 'model-file', 'disk']),
  change: z.enum(['added', 'removed', 'changed']),
  detail: z.string(),
});

export const HostKeyStateSchema = z.object({
  keyType: z.string(),
  fingerprint: z.string(),
  pinnedAt: z.string(),
  /** Set when the host presented a different key: it is refused until accepted. */
  offered: z.object({ keyType: z.string(), fingerprint: z.string(), at: z.string() }).nullable(),
});

export const RemoteNodeSchema = z.object({
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  hostKey: HostKeyStateSchema.nullable(),
  /** How the scan that inventoried it logged in (null for nodes stored before logins were kept): others SSH back with it. */
  login: z.object({ user: z.string(), keyPath: z.string().nullable() }).nullable(),
  inventory: NodeInventorySchema,
  /** What the last scan that reached this node found changed. */
  lastChanges: z.array(NodeChangeSchema),
});

export const HOST_OUTCOMES = ['inventoried', 'unreachable', 'timeout', 'not-ssh', 'auth-failed', 'host-key-changed', 'probe-failed', 'cancelled'] as const;

export const ScanHostSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  outcome: z.enum(HOST_OUTCOMES),
  /** What went wrong, specifically, when the outcome is not "inventoried". */
  reason: z.string().nullable(),
  node: z.string().nullable(),
  changes: z.array(NodeChangeSchema),
});

export const ScanCountsSchema = z.object({
  /** Addresses to try, after expanding every target. */
  total: z.number().int().nonnegative(),
  probed: z.number().int().nonnegative(),
  /** Answered on the SSH port. */
  live: z.number().int().nonnegative(),
  inventoried: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

export const ScanResultSchema = z.object({
  scanId: z.string(),
  outcome: z.enum(['completed', 'cancelled']),
  startedAt: z.string(),
  finishedAt: z.string(),
  counts: ScanCountsSchema,
  /** Hosts named explicitly, and every address of a range that answered; silent range addresses are only counted. */
  hosts: z.array(ScanHostSchema),
});

export const ScanProgressSchema = z.object({
  scanId: z.string(),
  counts: ScanCountsSchema,
  /** The host that just finished, when one did. */
  host: ScanHostSchema.nullable(),
});

export type NodeGpu = z.infer<typeof NodeGpuSchema>;
export type Jetson = z.infer<typeof JetsonSchema>;
export type Engine = z.infer<typeof EngineSchema>;
export type ModelFile = z.infer<typeof ModelFileSchema>;
export type NodeDisk = z.infer<typeof NodeDiskSchema>;
export type NodeInventory = z.infer<typeof NodeInventorySchema>;
export type NodeChange = z.infer<typeof NodeChangeSchema>;
export type HostKeyState = z.infer<typeof HostKeyStateSchema>;
export type RemoteNode = z.infer<typeof RemoteNodeSchema>;
export type HostOutcome = (typeof HOST_OUTCOMES)[number];
export type ScanHost = z.infer<typeof ScanHostSchema>;
export type ScanCounts = z.infer<typeof ScanCountsSchema>;
export type ScanResult = z.infer<typeof ScanResultSchema>;
export type ScanProgress = z.infer<typeof ScanProgressSchema>;
