import fs from 'node:fs';
import path from 'node:path';
import { RetryRecordSchema, RouterStatsSchema, type RetryRecord, type RouterStats } from '../../../shared/domain/router.js';

/**
 * How the router process reports back without writing the store: in
 * `<data dir>/router/`, `stats.json` is replaced atomically every second and
 * `retries.jsonl` is appended to on every retry. The core reads both; it copies
 * new retry lines into the ops journal and remembers how far it read.
 */
export function routerFiles(dataDir: string): { dir: string; stats: string; retries: string } {
  const dir = path.join(dataDir, 'router');
  return { dir, stats: path.join(dir, 'stats.json'), retries: path.join(dir, 'retries.jsonl') };
}

export class RouterReportWriter {
  private readonly files;

  constructor(dataDir: string) {
    this.files = routerFiles(dataDir);
    fs.mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
  }

  writeStats(stats: RouterStats): void {
    const temp = `${this.files.stats}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(stats), { mode: 0o600 });
    fs.renameSync(temp, this.files.stats);
  }

  appendRetry(record: RetryRecord): void {
    fs.appendFileSync(this.files.retries, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }
}

export class RouterReportReader {
  private readonly files;

  constructor(dataDir: string) {
    this.files = routerFiles(dataDir);
  }

  stats(): RouterStats | null {
    try {
      const parsed = RouterStatsSchema.safeParse(JSON.parse(fs.readFileSync(this.files.stats, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
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
