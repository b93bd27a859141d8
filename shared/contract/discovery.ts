import { z } from 'zod';
import { defineCall, defineEvent } from './define.js';
import { WorkstationInventorySchema } from '../domain/workstation.js';

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
};

export const discoveryEvents = {
  'discovery.localUpdated': defineEvent({
    summary: "This workstation's inventory was read again.",
    payload: WorkstationInventorySchema,
  }),
};
