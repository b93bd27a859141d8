import { useCallback } from 'react';
import type { SiteProcess } from '../../shared/domain/status.js';
import { useCall, useEvent, useLinkState } from '../api/hooks.js';

/** "service pid 4242 (systemd)": what the window is attached to; never the token. */
function attachedTo(site: SiteProcess): string {
  if (site.kind === 'in-process') return `in-process core (pid ${site.pid})`;
  const keeper = site.managedBy === 'systemd' ? 'systemd' : site.managedBy === 'detached' ? 'background' : 'terminal';
  return `site service pid ${site.pid} (${keeper}) since ${site.startedAt.slice(0, 16).replace('T', ' ')}`;
}

export function StatusBar() {
  const [status, reload] = useCall('system.status', {});
  const [service] = useCall('system.service', {});
  const link = useLinkState();
  useEvent(
    'identity.changed',
    useCallback(() => reload(), [reload]),
  );
  useEvent(
    'sync.exchanged',
    useCallback(() => reload(), [reload]),
  );
  const linkText =
    link === 'reconnecting' ? (
      <span data-testid="status-link" className="warn">
        reconnecting…
      </span>
    ) : service.status === 'ok' ? (
      <span data-testid="status-link" className="muted">
        {attachedTo(service.data)} · instance {service.data.instance}
      </span>
    ) : null;
  if (status.status !== 'ok') {
    return (
      <footer className="status-bar">
        {status.status === 'error' ? status.error.message : 'connecting…'}
        {linkText}
      </footer>
    );
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
      {linkText}
    </footer>
  );
}
