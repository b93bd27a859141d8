import type { SyncProgress } from '../../shared/domain/sync.js';
import { formatBytes } from '../../shared/units.js';
import { Meter } from '../components/Meter.js';

export function SyncProgressBar({ progress, onCancel }: { progress: SyncProgress | null; onCancel: () => void }) {
  const label = progress
    ? `${progress.phase}: ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} · ${formatBytes(progress.bytesPerSecond)}/s${progress.etaSeconds === null ? '' : ` · ${Math.ceil(progress.etaSeconds)} s left`}`
    : 'starting…';
  return (
    <div className="sync-progress" aria-live="polite" data-testid="sync-progress">
      <Meter used={progress?.bytesDone ?? 0} total={progress?.bytesTotal ?? 1} label={label} />
      <button type="button" onClick={onCancel} data-testid="sync-cancel">
        Cancel
      </button>
    </div>
  );
}
