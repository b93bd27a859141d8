import { useEffect } from 'react';
import type { CallState } from '../api/hooks.js';
import { useCall } from '../api/hooks.js';
import type { Drive } from '../../shared/domain/drives.js';

/** Drives come and go: the list is asked for again every two seconds. */
const DRIVE_POLL_MS = 2000;

export function useDrives(): [CallState<Drive[]>, () => void] {
  const [drives, reload] = useCall('sync.drives', {});
  useEffect(() => {
    const timer = setInterval(reload, DRIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return [drives, reload];
}
