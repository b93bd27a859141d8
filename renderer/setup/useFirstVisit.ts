import { useEffect } from 'react';
import { useClient } from '../api/hooks.js';

/**
 * Opens the first visit on a site the service says needs it (no identity, or no node yet), once, when the
 * window opens on its home page; a page the person chose stays chosen.
 */
export function useFirstVisitRoute(): void {
  const client = useClient();
  useEffect(() => {
    const home = () => /^#?\/?(overview)?$/.test(window.location.hash);
    if (!home()) return;
    let live = true;
    client.call('setup.state', {}).then(
      (state) => {
        if (live && state.needed && home()) window.location.hash = '#/setup';
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);
}
