import type { LaunchProgress } from '../../../shared/domain/workers.js';

export type TransferReading = NonNullable<LaunchProgress['transfer']>;

/** The pace is taken over the last few seconds: a link that slows shows it soon, a blip does not swing the ETA. */
const WINDOW_MS = 5_000;
/** A copy reports at most this often (the upload calls back every 256 KiB: ~4000 times a GiB). */
const REPORT_EVERY_MS = 500;

/**
 * Bytes done, rate and ETA of one copy, from readings on a monotonic clock. Only bytes moved in this copy count
 * toward the rate: a resumed copy's first reading is its starting point, not a burst.
 */
export class TransferMeter {
  private readonly readings: Array<{ atMs: number; bytes: number }> = [];
  private lastReportMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly totalBytes: number,
    private readonly resumedFromBytes: number,
    startMs: number,
  ) {
    this.readings.push({ atMs: startMs, bytes: resumedFromBytes });
  }

  /** The reading to report now, or null when one was reported less than REPORT_EVERY_MS ago (the last byte always reports). */
  record(atMs: number, doneBytes: number): TransferReading | null {
    this.readings.push({ atMs, bytes: doneBytes });
    while (this.readings.length > 2 && atMs - (this.readings[1] as { atMs: number }).atMs >= WINDOW_MS) this.readings.shift();
    const finished = doneBytes >= this.totalBytes;
    if (!finished && atMs - this.lastReportMs < REPORT_EVERY_MS) return null;
    this.lastReportMs = atMs;
    return this.reading(atMs, doneBytes);
  }

  private reading(atMs: number, doneBytes: number): TransferReading {
    const first = this.readings[0] as { atMs: number; bytes: number };
    const seconds = (atMs - first.atMs) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.max(0, doneBytes - first.bytes) / seconds : null;
    const left = Math.max(0, this.totalBytes - doneBytes);
    const etaSeconds = left === 0 ? 0 : bytesPerSecond ? left / bytesPerSecond : null;
    return { doneBytes, totalBytes: this.totalBytes, bytesPerSecond, etaSeconds, resumedFromBytes: this.resumedFromBytes };
  }
}

// The CLI's progress line and the window's copy bar read the same words.
export { describeTransfer } from '../../../shared/transfer-text.js';
