import fs from 'node:fs';
import path from 'node:path';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * JSON lines in <data dir>/logs/outpost.log. Callers pass facts, never secrets:
 * key material and tokens are not handed to the logger anywhere.
 */
export function fileLogger(logDir: string, component: string): Logger {
  const file = path.join(logDir, 'outpost.log');
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    try {
      fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
      fs.appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), level, component, pid: process.pid, message, ...fields })}\n`, { mode: 0o600 });
    } catch {
      // A full or read-only disk must not turn a log line into a crash; the caller's error still reaches the user.
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
