import { AlertSchema, HealthReportSchema, type Alert, type HealthLevel } from '../../../shared/domain/telemetry.js';
import type { SiteConnection } from '../service/site-connection.js';

/** What the tray shows: the worse of the health report and the active alerts, in a sentence. */
export interface SiteState {
  level: HealthLevel;
  summary: string;
}

export interface SiteWatchOptions {
  site: Pick<SiteConnection, 'invoke' | 'openEvents'>;
  onState(state: SiteState): void;
  /** A critical alert raised while this window is attached; never one that was already active when it attached. */
  onNewCritical(alert: Alert): void;
  /** The health report changes with time alone (hours since the last exchange), so it is asked again this often. */
  everyMs?: number;
}

const RANK: Record<HealthLevel, number> = { ok: 0, warn: 1, critical: 2 };
export const HEALTH_REFRESH_MS = 30_000;

async function activeAlerts(site: SiteWatchOptions['site']): Promise<Alert[]> {
  const answer = await site.invoke('telemetry.alerts', { all: false }, 'electron');
  return answer.ok ? AlertSchema.array().parse(answer.result) : [];
}

async function assess(site: SiteWatchOptions['site']): Promise<SiteState> {
  const [health, alerts] = await Promise.all([site.invoke('telemetry.health', {}, 'electron'), activeAlerts(site)]);
  if (!health.ok) return { level: 'warn', summary: `the site's health cannot be read: ${health.error.message}` };
  const report = HealthReportSchema.parse(health.result);
  const worstAlert = alerts.reduce<Alert | null>((worst, a) => (worst === null || RANK[a.severity] > RANK[worst.severity] ? a : worst), null);
  if (worstAlert && RANK[worstAlert.severity] > RANK[report.level]) return { level: worstAlert.severity, summary: worstAlert.message };
  const finding = report.items.find((item) => item.level === report.level && item.level !== 'ok');
  return { level: report.level, summary: finding?.summary ?? 'all health checks pass' };
}

/**
 * Keeps the tray's state and the desktop notifications in step with the site: re-assessed on every
 * alert raised or cleared and every 30 s. Alerts active at attach are the backlog, known, not announced.
 */
export function watchSite(options: SiteWatchOptions): { refresh(): void; close(): void } {
  const { site } = options;
  let closed = false;
  let known: Set<string> | null = null;
  const early: Alert[] = [];
  const report = (state: SiteState): void => {
    if (!closed) options.onState(state);
  };
  const refresh = (): void => {
    void assess(site).then(report, (error: unknown) => report({ level: 'warn', summary: `the site's health cannot be read: ${String(error)}` }));
  };
  const consider = (alert: Alert): void => {
    if (!known) early.push(alert);
    else if (alert.clearedAt !== null) known.delete(alert.key);
    else if (!known.has(alert.key)) {
      known.add(alert.key);
      if (alert.severity === 'critical') options.onNewCritical(alert);
    }
  };
  // Live events only (no `after`): the hub's backlog holds alerts this window did not see being raised.
  const stream = site.openEvents((message) => {
    if (message.name !== 'telemetry.alert') return;
    const alert = AlertSchema.safeParse(message.payload);
    if (alert.success) consider(alert.data);
    refresh();
  });
  const learn = (active: Alert[]): void => {
    known = new Set(active.map((a) => a.key));
    // A live event is news even when the list, read after it, already holds its alert.
    for (const alert of early.splice(0)) {
      known.delete(alert.key);
      consider(alert);
    }
  };
  void activeAlerts(site).then(learn, () => learn([]));
  refresh();
  const timer = setInterval(refresh, options.everyMs ?? HEALTH_REFRESH_MS);
  return {
    refresh,
    close(): void {
      closed = true;
      clearInterval(timer);
      stream.close();
    },
  };
}
