import { useCallback, useState } from 'react';
import type { SyncProgress } from '../../shared/domain/sync.js';
import { useClient, useEvent } from '../api/hooks.js';

/** A job id per run, its progress from the event stream, and a Cancel that reaches the core. */
export function useSyncJob(): { jobId: string | null; progress: SyncProgress | null; start: () => string; finish: () => void; cancel: () => void } {
  const client = useClient();
  const [jobId, setJobId] = useState<string | null>(null);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  useEvent(
    'sync.progress',
    useCallback(
      (p: SyncProgress) => {
        if (p.jobId === jobId) setProgress(p);
      },
      [jobId],
    ),
  );
  const start = () => {
    const id = `ui-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
    setJobId(id);
    setProgress(null);
    return id;
  };
  const finish = () => setJobId(null);
  const cancel = () => {
    if (jobId) void client.call('sync.cancel', { jobId });
  };
  return { jobId, progress, start, finish, cancel };
}
