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

const MB = 1e6;

/** `312/1024 MB, 231 MB/s, 3 s left`: how a copy reads in a progress line. */
export function describeTransfer(t: TransferReading): string {
  const size = (bytes: number): string => (t.totalBytes >= 10 * 1e9 ? `${(bytes / 1e9).toFixed(1)}` : `${Math.round(bytes / MB)}`);
  const unit = t.totalBytes >= 10 * 1e9 ? 'GB' : 'MB';
  const rate = t.bytesPerSecond === null ? '' : `, ${(t.bytesPerSecond / MB).toFixed(t.bytesPerSecond < 10 * MB ? 1 : 0)} MB/s`;
  const eta = t.etaSeconds === null || t.doneBytes >= t.totalBytes ? '' : `, ${formatSeconds(t.etaSeconds)} left`;
  return `${size(t.doneBytes)}/${size(t.totalBytes)} ${unit}${rate}${eta}`;
}

function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
