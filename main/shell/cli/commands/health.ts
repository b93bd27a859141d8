import { InvalidArgumentError, type Command } from 'commander';
import type { Alert, HealthReport, TelemetrySettings } from '../../../../shared/domain/telemetry.js';
import { OutpostError } from '../../../../shared/errors.js';
import type { CliRuntime } from '../runtime.js';

const MARK = { ok: 'ok  ', warn: 'WARN', critical: 'CRIT' } as const;

export function formatHealth(report: HealthReport): string {
  const lines = report.items.map((i) => `${MARK[i.level]}  ${i.check.padEnd(17)} ${i.summary}${i.level === 'ok' ? '' : `\n      ${' '.repeat(17)} → ${i.action}`}`);
  return [`Offline health: ${report.level.toUpperCase()} (${report.at})`, ...lines].join('\n');
}

export function formatAlerts(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return 'No active alerts.';
  return alerts
    .map((a) => {
      const state = a.clearedAt ? `cleared ${a.clearedAt}` : a.acknowledgedAt ? `acknowledged ${a.acknowledgedAt}` : 'open';
      return `${a.severity === 'critical' ? 'CRIT' : 'WARN'}  ${a.key}  (${state}, since ${a.raisedAt})\n      ${a.message}`;
    })
    .join('\n');
}

export function formatLimits(s: TelemetrySettings): string {
  return [
    `offline limit        ${s.offlineLimitHours} h since the last bundle exchange`,
    `model staleness      ${s.modelStaleDays} days since the newest model release from HQ`,
    `key age              ${s.keyMaxAgeDays} days before a key should be rotated`,
    `raw telemetry        kept ${s.rawRetentionHours} h at 1 s`,
    `minute rollups       kept ${s.rollupRetentionDays} days (what HQ receives)`,
    `stale after          ${s.staleAfterSeconds} s without a sample`,
    `node unseen after    ${s.nodeUnseenHours} h without a scan`,
  ].join('\n');
}

const positive =
  (max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > max) throw new InvalidArgumentError(`expected a positive number up to ${max}`);
    return n;
  };

interface LimitOptions {
  offlineHours?: number;
  modelStaleDays?: number;
  keyMaxAgeDays?: number;
  rawHours?: number;
  rollupDays?: number;
  staleSeconds?: number;
  nodeUnseenHours?: number;
}

export function registerHealthCommands(program: Command, cli: CliRuntime): void {
  const health = program
    .command('health')
    .description('offline health report: hours since the last bundle exchange, model staleness, key age, telemetry buffer, nodes, workers (exit 1 when anything is critical)')
    .action(async () => {
      const report = await cli.call('telemetry.health', {});
      cli.print(report, () => formatHealth(report));
      const critical = report.items.filter((i) => i.level === 'critical');
      if (critical.length > 0) {
        throw new OutpostError('PRECONDITION', `${critical.length} health check${critical.length === 1 ? ' is' : 's are'} critical (${critical.map((i) => i.check).join(', ')})`, 'do what each critical line says, then run `outpost health` again');
      }
    });
  const alerts = program
    .command('alerts')
    .description('active alerts (stale nodes, failed or degraded deployments, restarts), acknowledged ones marked')
    .option('--all', 'cleared alerts too')
    .action(async (opts: { all?: boolean }) => {
      const list = await cli.call('telemetry.alerts', { all: opts.all === true });
      cli.print(list, () => formatAlerts(list));
    });
  alerts
    .command('ack <key>')
    .description('acknowledge an active alert: it stays listed, as acknowledged, until its condition clears')
    .action(async (key: string) => {
      const alert = await cli.call('telemetry.acknowledge', { key });
      cli.print(alert, () => `Acknowledged ${alert.key} (${alert.acknowledgedAt ?? ''}); it stays listed until it clears.`);
    });
  health
    .command('limits')
    .description('show or change the limits the report and retention use')
    .option('--offline-hours <h>', 'hours without a bundle exchange before it is critical (default 72)', positive(24 * 365))
    .option('--model-stale-days <d>', 'days since the newest model release before a warning', positive(3650))
    .option('--key-max-age-days <d>', 'days before a key should be rotated', positive(3650))
    .option('--raw-hours <h>', 'hours of 1 s samples kept', positive(24 * 30))
    .option('--rollup-days <d>', 'days of minute rollups kept', positive(3650))
    .option('--stale-seconds <s>', 'seconds without a sample before a source is stale', positive(86_400))
    .option('--node-unseen-hours <h>', 'hours without a scan before a node is reported unseen', positive(24 * 365))
    .action(async (opts: LimitOptions) => {
      const changes: Partial<TelemetrySettings> = {
        offlineLimitHours: opts.offlineHours,
        modelStaleDays: opts.modelStaleDays,
        keyMaxAgeDays: opts.keyMaxAgeDays,
        rawRetentionHours: opts.rawHours,
        rollupRetentionDays: opts.rollupDays,
        staleAfterSeconds: opts.staleSeconds,
        nodeUnseenHours: opts.nodeUnseenHours,
      };
      const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const limits = Object.keys(given).length ? await cli.call('telemetry.settings.set', given) : await cli.call('telemetry.settings.show', {});
      cli.print(limits, () => formatLimits(limits));
    });
}
