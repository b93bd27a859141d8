import type { SyncProgress } from '../../../shared/domain/sync.js';

/**
 * Bytes done, throughput and ETA for a long job, reporting at most every
 * `intervalMs` (and always at the end) so a 4 GiB copy does not flood the
 * event stream.
 */
export class ProgressMeter {
  private done = 0;
  private lastReport = -Infinity;

  constructor(
    private readonly jobId: string,
    private readonly phase: SyncProgress['phase'],
    private readonly total: number,
    private readonly now: () => number,
    private readonly report: (progress: SyncProgress) => void,
    private readonly intervalMs = 200,
    private readonly startedAt = now(),
  ) {}

  advance(bytes: number): void {
    this.done += bytes;
    const t = this.now();
    if (t - this.lastReport >= this.intervalMs) this.emit(t);
  }

  finish(): void {
    this.emit(this.now());
  }

  private emit(t: number): void {
    this.lastReport = t;
    const seconds = Math.max((t - this.startedAt) / 1000, 1e-3);
    const rate = this.done / seconds;
    const left = Math.max(0, this.total - this.done);
    this.report({
      jobId: this.jobId,
      phase: this.phase,
      bytesDone: this.done,
      bytesTotal: this.total,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? left / rate : null,
    });
  }
}
