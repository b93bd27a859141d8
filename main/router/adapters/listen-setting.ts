import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { envInteger } from '../../platform/env-settings.js';
import { DEFAULT_LISTEN, HOST_ENV, PORT_ENV, type ListenAddress, type WorkstationAddress } from '../core/listen-address.js';

const StoredListenSchema = z.object({ host: z.string().min(1).max(64), port: z.number().int().min(1).max(65_535) });

/**
 * The router's listen address as the technician set it, in `<data dir>/router/listen.json` beside the router's
 * other files (a file, not a table: the router process never reads it, and it needs no schema migration).
 */
export class ListenSettingFile {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'router', 'listen.json');
  }

  /** The stored address; the default when none was set, or the file is unreadable. */
  read(): ListenAddress {
    try {
      const parsed = StoredListenSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data : { ...DEFAULT_LISTEN };
    } catch {
      return { ...DEFAULT_LISTEN };
    }
  }

  /** Replaced atomically: a reader sees the old address or the new one. */
  write(address: ListenAddress): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(address), { mode: 0o600 });
    fs.renameSync(temp, this.file);
  }
}

/** OUTPOST_ROUTER_HOST / OUTPOST_ROUTER_PORT of this process; unset or empty: undefined. Port 0 (a free port) stays allowed here, as the tests use it. */
export function listenFromEnvironment(env: NodeJS.ProcessEnv = process.env): { host: string | undefined; port: number | undefined } {
  const host = env[HOST_ENV] ? env[HOST_ENV] : undefined;
  const port = env[PORT_ENV] ? envInteger(PORT_ENV, DEFAULT_LISTEN.port, { min: 0, max: 65_535 }, env) : undefined;
  return { host, port };
}

export function workstationAddresses(): WorkstationAddress[] {
  return Object.values(os.networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => ({ address: a.address, family: a.family, internal: a.internal })));
}

/** Whether something already listens there: binds it for a moment. Resolves with the error code (EADDRINUSE, EACCES…), or null when free. */
export function bindProblem(address: ListenAddress): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
