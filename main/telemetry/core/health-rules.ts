import type { HealthItem, HealthLevel, HealthReport, TelemetrySettings } from '../../../shared/domain/telemetry.js';

/** Everything the offline health report looks at, read by the service from the store and the sampler. */
export interface HealthFacts {
  now: Date;
  role: 'site' | 'hq' | null;
  lastExchangeAt: string | null;
  /** When the newest model release arrived from HQ; null when none has. */
  newestModelImportedAt: string | null;
  /** Active keys by kind with their creation time. */
  keys: Array<{ kind: 'signing' | 'ssh'; createdAt: string }>;
  /** The oldest minute of telemetry HQ has not acknowledged (seconds since the epoch); null when there is none. */
  unacknowledgedTelemetrySince: number | null;
  /** Remote nodes of the inventory with when they last answered a scan. */
  nodes: Array<{ name: string; lastSeen: string }>;
  /** Nodes whose live telemetry stopped (no sample within the stale limit). */
  silentNodes: string[];
  deployments: Array<{ id: string; model: string; state: string; workersDown: number }>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WORST: Record<HealthLevel, number> = { ok: 0, warn: 1, critical: 2 };

/** What to do, phrased for each front end: the terminal names commands, the window names a page and what to do there. */
interface Advice {
  cli: string;
  window: string;
  page: string | null;
}
const same = (text: string): Advice => ({ cli: text, window: text, page: null });
const NOTHING = same('Nothing to do.');
const NOTHING_YET = same('Nothing to do yet.');

const item = (check: HealthItem['check'], level: HealthLevel, summary: string, advice: Advice, value: number | null = null, limit: number | null = null, unit = ''): HealthItem => ({
  check,
  level,
  summary,
  action: advice.cli,
  windowAction: advice.window,
  page: advice.page,
  value: value === null ? null : Math.round(value * 10) / 10,
  limit,
  unit,
});

/** ok below `warnAt` of the limit, warn up to the limit, critical at or past it. */
const against = (value: number, limit: number, warnAt: number): HealthLevel => (value >= limit ? 'critical' : value >= limit * warnAt ? 'warn' : 'ok');

function offline(f: HealthFacts, s: TelemetrySettings): HealthItem {
  const limit = s.offlineLimitHours;
  if (f.lastExchangeAt === null)
    return item('offline', 'warn', 'No bundle has been exchanged with HQ yet.', { cli: 'Export one for HQ with `outpost bundle export --to <usb drive>`.', window: 'Export a bundle for HQ on the Sync page.', page: 'sync' }, null, limit, 'h');
  const hours = Math.max(0, (f.now.getTime() - Date.parse(f.lastExchangeAt)) / HOUR);
  const level = against(hours, limit, 0.75);
  const summary = `The last bundle exchange was ${hours.toFixed(1)} h ago (limit ${limit} h).`;
  const action: Advice =
    level === 'ok'
      ? NOTHING_YET
      : level === 'warn'
        ? { cli: 'Plan a bundle exchange with HQ soon: `outpost bundle export --to <usb drive>`.', window: 'Plan a bundle exchange with HQ soon: export a bundle on the Sync page.', page: 'sync' }
        : { cli: 'Exchange bundles with HQ now: export with `outpost bundle export`, and import what HQ sends.', window: 'Exchange bundles with HQ now: export a bundle on the Sync page, and import what HQ sends there.', page: 'sync' };
  return item('offline', level, summary, action, hours, limit, 'h');
}

function modelStaleness(f: HealthFacts, s: TelemetrySettings): HealthItem {
  const limit = s.modelStaleDays;
  if (f.role === 'hq') return item('model-staleness', 'ok', 'This installation is HQ: it issues model releases.', NOTHING, null, limit, 'd');
  if (f.newestModelImportedAt === null) return item('model-staleness', 'ok', 'No model release has arrived from HQ yet; the models in use were brought in locally.', same('Nothing to do unless HQ is expected to send models.'), null, limit, 'd');
  const days = Math.max(0, (f.now.getTime() - Date.parse(f.newestModelImportedAt)) / DAY);
  const level: HealthLevel = days >= 2 * limit ? 'critical' : days >= limit ? 'warn' : 'ok';
  const action: Advice = level === 'ok' ? NOTHING : { cli: 'Ask HQ for current model releases and import their bundle with `outpost bundle import <dir>`.', window: 'Ask HQ for current model releases and import their bundle on the Sync page.', page: 'sync' };
  return item('model-staleness', level, `The newest model release from HQ arrived ${days.toFixed(0)} days ago (limit ${limit} days).`, action, days, limit, 'd');
}

function keyAge(kind: 'signing' | 'ssh', f: HealthFacts, s: TelemetrySettings): HealthItem {
  const check = kind === 'signing' ? 'signing-key' : 'ssh-key';
  const name = kind === 'signing' ? 'bundle signing key' : 'site SSH key';
  const key = f.keys.find((k) => k.kind === kind);
  if (!key) return item(check, 'critical', `There is no ${name}.`, { cli: 'Create the site identity with `outpost keys init`.', window: 'Create the site identity on the Overview page.', page: 'overview' }, null, s.keyMaxAgeDays, 'd');
  const days = Math.max(0, (f.now.getTime() - Date.parse(key.createdAt)) / DAY);
  const level = against(days, s.keyMaxAgeDays, 0.9);
  const action: Advice = level === 'ok' ? NOTHING : same(`Rotate it with \`outpost keys rotate\`${kind === 'signing' ? ' and send the rotation to HQ in the next bundle' : ''}.`);
  return item(check, level, `The ${name} is ${days.toFixed(0)} days old (rotate by ${s.keyMaxAgeDays} days).`, action, days, s.keyMaxAgeDays, 'd');
}

function telemetryBuffer(f: HealthFacts, s: TelemetrySettings): HealthItem {
  const keptHours = s.rollupRetentionDays * 24;
  if (f.role === 'hq') return item('telemetry-buffer', 'ok', 'This installation is HQ: it does not report telemetry upstream.', NOTHING, null, keptHours, 'h');
  if (f.unacknowledgedTelemetrySince === null) return item('telemetry-buffer', 'ok', 'HQ has acknowledged all telemetry recorded so far.', NOTHING, 0, keptHours, 'h');
  const hours = Math.max(0, (f.now.getTime() / 1000 - f.unacknowledgedTelemetrySince) / 3600);
  const fill = hours / keptHours;
  const level: HealthLevel = fill >= 0.9 ? 'critical' : fill >= 0.5 ? 'warn' : 'ok';
  const summary = `${hours.toFixed(1)} h of telemetry wait for HQ's acknowledgement (${Math.round(fill * 100)}% of the ${s.rollupRetentionDays} days kept).`;
  const action: Advice =
    level === 'ok'
      ? NOTHING_YET
      : level === 'warn'
        ? { cli: 'Send telemetry to HQ soon with `outpost bundle export`; older minutes are deleted after the retention.', window: 'Send telemetry to HQ soon: export a bundle on the Sync page; older minutes are deleted after the retention.', page: 'sync' }
        : { cli: 'Export a bundle for HQ now: the oldest unsent telemetry is about to be deleted.', window: 'Export a bundle for HQ on the Sync page now: the oldest unsent telemetry is about to be deleted.', page: 'sync' };
  return item('telemetry-buffer', level, summary, action, hours, keptHours, 'h');
}

function nodes(f: HealthFacts, s: TelemetrySettings): HealthItem {
  const unseen = f.nodes.filter((n) => f.now.getTime() - Date.parse(n.lastSeen) > s.nodeUnseenHours * HOUR).map((n) => n.name);
  const silent = f.silentNodes;
  if (f.nodes.length === 0 && silent.length === 0)
    return item('nodes', 'ok', 'No remote node is inventoried yet.', { cli: 'Scan the site with `outpost discover <cidr> --user <login>`.', window: 'Scan the site on the Nodes page.', page: 'nodes' }, 0, null, 'nodes');
  if (silent.length === 0 && unseen.length === 0) return item('nodes', 'ok', `All ${f.nodes.length} nodes answer.`, NOTHING, 0, null, 'nodes');
  const everyNodeSilent = f.nodes.length > 0 && f.nodes.every((n) => silent.includes(n.name));
  const parts = [...(silent.length ? [`${silent.join(', ')} stopped answering the sampler`] : []), ...(unseen.length ? [`${unseen.join(', ')} not scanned for over ${s.nodeUnseenHours} h`] : [])];
  const action: Advice = silent.length
    ? { cli: 'Check power and network of the silent nodes, then `outpost discover` them again.', window: 'Check power and network of the silent nodes, then scan them again on the Nodes page.', page: 'nodes' }
    : { cli: 'Re-scan them with `outpost discover` to refresh the inventory.', window: 'Scan them again on the Nodes page to refresh the inventory.', page: 'nodes' };
  return item('nodes', everyNodeSilent ? 'critical' : 'warn', `${parts.join('; ')}.`, action, new Set([...silent, ...unseen]).size, null, 'nodes');
}

function workers(f: HealthFacts): HealthItem {
  const failed = f.deployments.filter((d) => d.state === 'failed');
  const degraded = f.deployments.filter((d) => d.state === 'degraded' || (d.state === 'ready' && d.workersDown > 0));
  const running = f.deployments.filter((d) => ['ready', 'launching', 'degraded'].includes(d.state)).length;
  if (failed.length)
    return item(
      'workers',
      'critical',
      `${failed.map((d) => `${d.id} (${d.model})`).join(', ')} failed.`,
      { cli: 'See `outpost workers` and `outpost logs <deployment>`, then relaunch or stop it.', window: 'Open it on the Workers page: read its log, then relaunch or stop it.', page: 'workers' },
      failed.length,
      null,
      'deployments',
    );
  if (degraded.length)
    return item(
      'workers',
      'warn',
      `${degraded.map((d) => `${d.id} (${d.model})`).join(', ')} run degraded.`,
      { cli: 'Supervision is restarting workers; if it persists, see `outpost logs <deployment>`.', window: 'Supervision is restarting workers; if it persists, read its log on the Workers page.', page: 'workers' },
      degraded.length,
      null,
      'deployments',
    );
  return item(
    'workers',
    'ok',
    running ? `${running} deployment${running === 1 ? '' : 's'} serving normally.` : 'No deployment is running.',
    running ? NOTHING : { cli: 'Launch a plan with `outpost launch <plan-id>` when needed.', window: 'Plan a model on the Plan page and launch it when needed.', page: 'plan' },
    0,
    null,
    'deployments',
  );
}

/** The offline health report: each check ok, warn or critical with a sentence saying what to do. */
export function assessHealth(facts: HealthFacts, settings: TelemetrySettings): HealthReport {
  const items = [offline(facts, settings), modelStaleness(facts, settings), keyAge('signing', facts, settings), keyAge('ssh', facts, settings), telemetryBuffer(facts, settings), nodes(facts, settings), workers(facts)];
  const level = items.reduce<HealthLevel>((worst, i) => (WORST[i.level] > WORST[worst] ? i.level : worst), 'ok');
  return { at: facts.now.toISOString(), level, items };
}
