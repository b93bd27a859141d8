import { useCallback, useEffect, useState } from 'react';
import type { WorkstationInventory } from '../../shared/domain/workstation.js';
import { asCallError, useClient, type CallState } from '../api/hooks.js';

/**
 * The stored inventory first (instant, and no journal entry per page view);
 * the machine is read only when nothing is stored yet or on Refresh.
 */
export function useWorkstation(): { state: CallState<WorkstationInventory>; refresh: () => void } {
  const client = useClient();
  const [state, setState] = useState<CallState<WorkstationInventory>>({ status: 'loading' });
  const read = useCallback(() => {
    setState({ status: 'loading' });
    client
      .call('discovery.local', {})
      .then((data) => setState({ status: 'ok', data }))
      .catch((error: unknown) => setState({ status: 'error', error: asCallError(error) }));
  }, [client]);
  useEffect(() => {
    let live = true;
    client
      .call('discovery.workstation', {})
      .then((stored) => {
        if (!live) return;
        if (stored) setState({ status: 'ok', data: stored });
        else read();
      })
      .catch((error: unknown) => live && setState({ status: 'error', error: asCallError(error) }));
    return () => {
      live = false;
    };
  }, [client, read]);
  return { state, refresh: read };
}
