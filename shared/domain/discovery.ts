import { z } from 'zod';

/** One GPU as nvidia-smi reports it, or a Jetson's integrated GPU (which shares the system RAM). */
export const NodeGpuSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  uuid: z.string().nullable(),
  memoryTotalMiB: z.number().nonnegative().nullable(),
  memoryUsedMiB: z.number().nonnegative().nullable(),
  utilizationPct: z.number().nonnegative().nullable(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nonnegative().nullable(),
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
  sizeBytes: z.number().nonnegative(),
  freeBytes: z.number().nonnegative(),
});

/** What one probe of a remote host found. */
export const NodeInventorySchema = z.object({
  hostname: z.string(),
  os: z.object({ name: z.string().nullable(), kernel: z.string().nullable(), arch: z.string().nullable() }),
  cpu: z.object({ model: z.string().nullable(), cores: z.number().int().nonnegative().nullable() }),
  memory: z.object({ totalBytes: z.number().nonnegative().nullable(), availableBytes: z.number().nonnegative().nullable() }),
  disks: z.array(NodeDiskSchema),
  gpuStatus: z.enum(['ok', 'none', 'driver-error']),
  /** nvidia-smi's own words when it failed (driver not loaded, version mismatch…). */
  gpuError: z.string().nullable(),
  gpus: z.array(NodeGpuSchema),
  jetson: JetsonSchema.nullable(),
  engines: z.array(EngineSchema),
  modelFiles: z.array(ModelFileSchema),
  listeningPorts: z.array(z.number().int()),
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
