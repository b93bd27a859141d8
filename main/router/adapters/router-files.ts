import fs from 'node:fs';
import path from 'node:path';
import { RetryRecordSchema, RouterStatsSchema, SupervisedRouterSchema, type RetryRecord, type RouterStats, type SupervisedRouter } from '../../../shared/domain/router.js';
import { pidAlive } from '../../platform/process-alive.js';

/**
 * How the router process reports back without writing the store: in
 * `<data dir>/router/`, `stats.json` is replaced atomically every second and
 * `retries.jsonl` is appended to on every retry. The core reads both; it copies
 * new retry lines into the ops journal and remembers how far it read.
 */
export function routerFiles(dataDir: string): { dir: string; stats: string; retries: string; lock: string; supervisor: string } {
  const dir = path.join(dataDir, 'router');
  return { dir, stats: path.join(dir, 'stats.json'), retries: path.join(dir, 'retries.jsonl'), lock: path.join(dir, 'router.lock'), supervisor: path.join(dir, 'supervisor.json') };
}

/**
 * Writes off the proxy's event loop: a synchronous rename on a busy disk held up
 * every stream for tens of milliseconds. A stats write still under way when the
 * next is due is skipped (the next one is newer anyway); retry lines are queued
 * so they keep their order.
 */
export class RouterReportWriter {
  private readonly files;
  private statsWrite: Promise<unknown> | null = null;
  private retryQueue: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.files = routerFiles(dataDir);
    fs.mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
  }

  /** Resolves once written, or at once when the previous write is still running (false then). */
  async writeStats(stats: RouterStats): Promise<boolean> {
    if (this.statsWrite) return false;
    const temp = `${this.files.stats}.${process.pid}.tmp`;
    const write = fs.promises.writeFile(temp, JSON.stringify(stats), { mode: 0o600 }).then(() => fs.promises.rename(temp, this.files.stats));
    this.statsWrite = write.catch(() => undefined);
    try {
      await write;
      return true;
    } finally {
      this.statsWrite = null;
    }
  }

  appendRetry(record: RetryRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const append = this.retryQueue.then(() => fs.promises.appendFile(this.files.retries, line, { mode: 0o600 }));
    this.retryQueue = append.catch(() => undefined);
    return append;
  }

  /** Waits for the writes under way (before the process exits, or its data dir goes). */
  async flush(): Promise<void> {
    await Promise.all([this.retryQueue, this.statsWrite]);
  }
}

export class RouterReportReader {
  private readonly files;

  constructor(dataDir: string) {
    this.files = routerFiles(dataDir);
  }

  stats(): RouterStats | null {
    return readJson(this.files.stats, RouterStatsSchema);
  }

  /** The stats of a router that still runs: a killed router's last file must not read as live figures. */
  liveStats(): RouterStats | null {
    const stats = this.stats();
    return stats && pidAlive(stats.pid) ? stats : null;
  }

  /**
   * Whether a live router replaced its stats file in the last `ms`, by this machine's real clock: a core running on
   * an injected clock (the tests advance it by days) must still see a router that is serving as running.
   */
  recentlyWritten(ms: number): boolean {
    try {
      return Date.now() - fs.statSync(this.files.stats).mtimeMs < ms && this.liveStats() !== null;
    } catch {
      return false;
    }
  }

  /** What the app's core last wrote about the router it supervises; null when that core is gone. */
  supervised(): SupervisedRouter | null {
    const state = this.lastSupervised();
    return state && pidAlive(state.supervisorPid) ? state : null;
  }

  /** The last supervisor's state, whether or not that core still runs (a new core adopts the router it left). */
  lastSupervised(): SupervisedRouter | null {
    return readJson(this.files.supervisor, SupervisedRouterSchema);
  }

  /** Complete retry lines after `offset` (bytes), and the offset after the last complete one. A shorter file (replaced) starts over. */
  retriesSince(offset: number): { records: RetryRecord[]; offset: number } {
    let text: Buffer;
    try {
      text = fs.readFileSync(this.files.retries);
    } catch {
      return { records: [], offset: 0 };
    }
    const start = text.length < offset ? 0 : offset;
    const end = text.lastIndexOf(0x0a) + 1;
    if (end <= start) return { records: [], offset: start };
    const records = text
      .subarray(start, end)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .flatMap((line) => {
        try {
          const parsed = RetryRecordSchema.safeParse(JSON.parse(line));
          return parsed.success ? [parsed.data] : [];
        } catch {
          return [];
        }
      });
    return { records, offset: end };
  }
}

function readJson<T>(file: string, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The supervisor's state file, replaced atomically (it is small and written a few times a minute at most). */
export function writeSupervisedRouter(dataDir: string, state: SupervisedRouter): void {
  const files = routerFiles(dataDir);
  fs.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const temp = `${files.supervisor}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  fs.renameSync(temp, files.supervisor);
}
