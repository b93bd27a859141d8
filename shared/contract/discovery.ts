import { z } from 'zod';
import { defineCall, defineEvent } from './define.js';
import { WorkstationInventorySchema } from '../domain/workstation.js';
import { RemoteNodeSchema, ScanHostSchema, ScanProgressSchema, ScanResultSchema } from '../domain/discovery.js';

/** Where the probe looks for model files unless told otherwise (`~` is the login user's home). */
export const DEFAULT_MODEL_DIRS = ['~/models', '/models', '/opt/models', '/srv/models', '/var/lib/outpost/models'];

const ScanInputSchema = z
  .object({
    /** `cidr|host|host:port[,...]`; parsed by the discovery core so a bad target gets its own message. */
    targets: z.string().max(10_000),
    user: z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]{0,31}$/, 'a login name: letters, digits, ".", "_", "-"'),
    /** A private key file; the site key (keys/id_ed25519) when absent. */
    key: z.string().min(1).max(4096).optional(),
    port: z.number().int().min(1).max(65535).default(22),
    concurrency: z.number().int().min(1).max(1024).default(64),
    /** Bounds each step for one host: TCP connect, SSH handshake, the probe itself. */
    timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    modelDirs: z.array(z.string().min(1).max(4096)).max(32).default(DEFAULT_MODEL_DIRS),
    /** Chosen by the caller so it can follow progress events and cancel before the answer arrives. */
    scanId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{4,64}$/)
      .optional(),
  })
  .strict();

export const discoveryCalls = {
  'discovery.workstation': defineCall({
    summary: "This workstation's last stored inventory, or null before the first `outpost local`.",
    input: z.object({}).strict(),
    output: WorkstationInventorySchema.nullable(),
    mutates: false,
  }),
  'discovery.local': defineCall({
    summary: "This workstation's CPU, RAM, disks, GPUs and OS, stored as its inventory row.",
    input: z.object({}).strict(),
    output: WorkstationInventorySchema,
    mutates: true,
  }),
  'discovery.scan': defineCall({
    summary: 'Scan targets for SSH hosts, pin their host keys on first use, probe and store their inventory. Long: progress comes as discovery.scanProgress.',
    input: ScanInputSchema,
    output: ScanResultSchema,
    mutates: true,
  }),
  'discovery.cancelScan': defineCall({
    summary: 'Stop a running scan; hosts already inventoried stay stored, hosts in flight write nothing.',
    input: z.object({ scanId: z.string().min(1).max(64) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
    mutates: true,
  }),
  'discovery.nodes': defineCall({
    summary: 'Every remote node from the store: inventory, host-key state, last seen, what changed in the last scan.',
    input: z.object({}).strict(),
    output: z.array(RemoteNodeSchema),
    mutates: false,
  }),
  'discovery.acceptHostKey': defineCall({
    summary: 'Accept the changed host key a node offered (refused until now), then probe that node again with the login that inventoried it and store its inventory.',
    input: z.object({ node: z.string().min(1).max(300) }).strict(),
    output: z.object({
      node: z.string(),
      address: z.string(),
      port: z.number().int(),
      keyType: z.string(),
      fingerprint: z.string(),
      previousFingerprint: z.string(),
      /** The probe run right after accepting; null when the host has no stored login to probe with (never inventoried). */
      reprobe: ScanHostSchema.nullable(),
    }),
    mutates: true,
  }),
};

export const discoveryEvents = {
  'discovery.localUpdated': defineEvent({
    summary: "This workstation's inventory was read again.",
    payload: WorkstationInventorySchema,
  }),
  'discovery.scanProgress': defineEvent({
    summary: 'A scan moved on: counts so far and the host that just finished.',
    payload: ScanProgressSchema,
  }),
  'discovery.scanFinished': defineEvent({
    summary: 'A scan ended (completed or cancelled); the nodes list has changed.',
    payload: ScanResultSchema,
  }),
};
