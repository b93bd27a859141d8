import { useCallback } from 'react';
import type { Alert, HealthItem } from '../../shared/domain/telemetry.js';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { usePolling } from './useSeries.js';

const CHECK_LABEL: Record<HealthItem['check'], string> = {
  offline: 'Hours offline',
  'model-staleness': 'Model releases',
  'signing-key': 'Signing key',
  'ssh-key': 'SSH key',
  'telemetry-buffer': 'Telemetry for HQ',
  nodes: 'Nodes',
  workers: 'Workers',
};

/** The offline health report (each check with what to do) and the active alerts, live. */
export function HealthCard() {
  const [health, reloadHealth] = useCall('telemetry.health', {});
  const [alerts, reloadAlerts] = useCall('telemetry.alerts', { all: false });
  const reload = useCallback(() => {
    reloadHealth();
    reloadAlerts();
  }, [reloadHealth, reloadAlerts]);
  usePolling(reload);
  useEvent(
    'telemetry.alert',
    useCallback(() => reloadAlerts(), [reloadAlerts]),
  );
  return (
    <div className="grid">
      <section className="card" data-testid="monitoring-health">
        <h2>
          Offline health{' '}
          {health.status === 'ok' && (
            <span className={`monitoring-level monitoring-level-${health.data.level}`} data-testid="monitoring-health-level">
              {health.data.level}
            </span>
          )}
        </h2>
        {health.status === 'error' && <ErrorNote error={health.error} />}
        {health.status === 'ok' && (
          <ul className="monitoring-health-list">
            {health.data.items.map((item) => (
              <li key={item.check} data-testid={`monitoring-health-${item.check}`} data-level={item.level}>
                <span className={`monitoring-level monitoring-level-${item.level}`}>{item.level}</span>
                <strong>{CHECK_LABEL[item.check]}</strong> <span>{item.summary}</span>
                {item.level !== 'ok' && (
                  <div className="monitoring-action" data-testid={`monitoring-health-${item.check}-action`}>
                    {item.windowAction}
                    {item.page && (
                      <>
                        {' '}
                        <a href={`#/${item.page}`}>Open {item.page.charAt(0).toUpperCase() + item.page.slice(1)} →</a>
                      </>
                    )}
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" data-testid="monitoring-alerts">
        <h2>Alerts</h2>
        {alerts.status === 'error' && <ErrorNote error={alerts.error} />}
        {alerts.status === 'ok' && alerts.data.length === 0 && <p className="muted">no active alerts</p>}
        {alerts.status === 'ok' && alerts.data.length > 0 && (
          <ul className="monitoring-alert-list">
            {alerts.data.map((a: Alert) => (
              <li key={a.key} data-testid={`monitoring-alert-${a.key}`}>
                <span className={`monitoring-level monitoring-level-${a.severity}`}>{a.severity}</span> {a.message}
                {a.acknowledgedAt !== null && <span className="muted small"> · acknowledged</span>}
                <span className="muted small"> · since {new Date(a.raisedAt).toLocaleTimeString()}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
