import { useCallback } from 'react';
import { useCall, useEvent } from '../api/hooks.js';

export function StatusBar() {
  const [status, reload] = useCall('system.status', {});
  useEvent(
    'identity.changed',
    useCallback(() => reload(), [reload]),
  );
  useEvent(
    'sync.exchanged',
    useCallback(() => reload(), [reload]),
  );
  if (status.status !== 'ok') {
    return <footer className="status-bar">{status.status === 'error' ? status.error.message : 'connecting…'}</footer>;
  }
  const s = status.data;
  const overdue = s.hoursSinceLastExchange !== null && s.hoursSinceLastExchange > s.offlineLimitHours;
  return (
    <footer className="status-bar">
      <span data-testid="status-site">{s.site ? `site ${s.site.siteId}` : 'no site identity'}</span>
      <span data-testid="status-offline" className={overdue ? 'warn' : ''}>
        {s.hoursSinceLastExchange === null ? 'no bundle exchanged yet' : `${s.hoursSinceLastExchange.toFixed(1)} h since the last bundle exchange (limit ${s.offlineLimitHours} h)`}
      </span>
      <span className="muted">data {s.dataDir}</span>
      <span className="muted">
        v{s.appVersion} · schema {s.schemaVersion}
      </span>
    </footer>
  );
}
