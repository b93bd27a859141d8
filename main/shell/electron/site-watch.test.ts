import assert from 'node:assert/strict';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope, EventMessage } from '../../../shared/contract/index.js';
import type { Alert, HealthLevel, HealthReport } from '../../../shared/domain/telemetry.js';
import { watchSite, type SiteState } from './site-watch.js';

const alert = (key: string, severity: Alert['severity'], clearedAt: string | null = null): Alert => ({ key, severity, source: `node:${key}`, message: `${key} went quiet`, raisedAt: '2026-12-01T00:00:00.000Z', clearedAt, acknowledgedAt: null });
const report = (level: HealthLevel, summary: string): HealthReport => ({
  at: '2026-12-01T00:00:00.000Z',
  level,
  items: [{ check: 'offline', level, summary, action: 'x', windowAction: 'x', page: null, value: null, limit: null, unit: 'h' }],
});

/** The site as the watch sees it: answers from these fields, and an event stream the test emits into. */
function fakeSite(health: HealthReport, active: Alert[]) {
  let listener: ((message: EventMessage) => void) | null = null;
  let seq = 0;
  const site = {
    health,
    active,
    opened: [] as Array<{ after?: number | undefined }>,
    closed: false,
    invoke: async (name: string): Promise<Envelope> => ({ ok: true, result: name === 'telemetry.health' ? site.health : site.active }),
    openEvents: (send: (message: EventMessage) => void, options: { after?: number } = {}) => {
      site.opened.push(options);
      listener = send;
      return { pause: () => undefined, resume: () => undefined, close: () => void (site.closed = true) };
    },
    raise(a: Alert) {
      site.active = a.clearedAt ? site.active.filter((x) => x.key !== a.key) : [...site.active.filter((x) => x.key !== a.key), a];
      listener?.({ name: 'telemetry.alert', payload: a, at: a.raisedAt, seq: (seq += 1) });
    },
  };
  return site;
}

test('alerts active at attach are known, not announced; a new critical one is announced once; a warning never', async () => {
  const site = fakeSite(report('warn', 'No bundle has been exchanged with HQ yet.'), [alert('old', 'critical')]);
  const states: SiteState[] = [];
  const announced: string[] = [];
  const watch = watchSite({ site, onState: (s) => states.push(s), onNewCritical: (a) => announced.push(a.key), everyMs: 60_000 });
  await sleep(10);
  assert.deepEqual(site.opened, [{}], 'live events only: the backlog is not replayed');
  assert.deepEqual(states.at(-1), { level: 'critical', summary: 'old went quiet' }, 'an active critical alert outranks a warn report');
  site.raise(alert('old', 'critical'));
  site.raise(alert('warned', 'warn'));
  site.raise(alert('fresh', 'critical'));
  site.raise(alert('fresh', 'critical'));
  await sleep(10);
  assert.deepEqual(announced, ['fresh']);
  site.raise(alert('fresh', 'critical', '2026-12-01T00:01:00.000Z'));
  site.raise(alert('fresh', 'critical'));
  await sleep(10);
  assert.deepEqual(announced, ['fresh', 'fresh'], 'cleared, then raised again: news again');
  watch.close();
  assert.equal(site.closed, true);
});

test('the state is re-assessed on each alert and on a timer, and reads the worst finding', async () => {
  const site = fakeSite(report('ok', 'fine'), []);
  const states: SiteState[] = [];
  const watch = watchSite({ site, onState: (s) => states.push(s), onNewCritical: () => undefined, everyMs: 30 });
  await sleep(10);
  assert.deepEqual(states.at(-1), { level: 'ok', summary: 'all health checks pass' });
  site.health = report('critical', 'The last bundle exchange was 80.0 h ago (limit 72 h).');
  await sleep(60);
  assert.deepEqual(states.at(-1), { level: 'critical', summary: 'The last bundle exchange was 80.0 h ago (limit 72 h).' });
  watch.close();
  const seen = states.length;
  await sleep(80);
  assert.equal(states.length, seen, 'nothing after close');
});
