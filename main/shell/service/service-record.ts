import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * `<data dir>/service.json` (0600): how windows and CLI commands find the data dir's site service.
 * The token and port outlive the process, so a restarted service takes the same door and a window
 * reconnects without a new URL; `pid` and `instance` say which process last opened it (liveness is the
 * process and the service's lock, never this file alone).
 */
export const serviceRecordSchema = z.object({
  pid: z.number().int().positive(),
  /** New on every start: event sequence numbers start again with it. */
  instance: z.string().min(8),
  port: z.number().int().min(1).max(65535),
  token: z.string().min(32),
  appVersion: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  startedAt: z.string(),
  /** Who keeps it running: systemd (a unit), detached (started by a window or a CLI call), foreground (a terminal). */
  managedBy: z.enum(['systemd', 'detached', 'foreground']),
});

export type ServiceRecord = z.infer<typeof serviceRecordSchema>;

export const serviceRecordPath = (dataDir: string): string => path.join(dataDir, 'service.json');

/** The record, or null when there is none or it cannot be read as one (a torn write is treated as none). */
export function readServiceRecord(dataDir: string): ServiceRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(serviceRecordPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = serviceRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written whole (temp file, then rename) and private to the user, so a reader never sees half of it. */
export function writeServiceRecord(dataDir: string, record: ServiceRecord): void {
  const file = serviceRecordPath(dataDir);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(serviceRecordSchema.parse(record), null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}
