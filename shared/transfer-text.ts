/** A model copy's figures, as workers.launchProgress carries them. */
export interface TransferFigures {
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
  resumedFromBytes: number;
}

const MB = 1e6;

/** `312/1024 MB, 231 MB/s, 3 s left`: how a copy reads in a progress line. */
export function describeTransfer(t: TransferFigures): string {
  // A file under 10 MB keeps a decimal: a small model would read 0/0 MB.
  const size = (bytes: number): string => (t.totalBytes >= 10 * 1e9 ? `${(bytes / 1e9).toFixed(1)}` : t.totalBytes < 10 * MB ? `${(bytes / MB).toFixed(1)}` : `${Math.round(bytes / MB)}`);
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
