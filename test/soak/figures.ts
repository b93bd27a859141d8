// The chaos soak's figures: what happened to every request and every fault, turned into rows with their
// targets. Pure, so the arithmetic is tested apart from the site.
import { FAULT_KINDS, WORKER_KILLS, type FaultKind } from './schedule.js';

/** One request of the steady load, as the `openai` client saw it (milliseconds since the epoch). */
export interface RequestRecord {
  startedAt: number;
  /** The first content token; null when none came. */
  firstTokenAt: number | null;
  endedAt: number;
  /** The stream ended with a finish reason, no error. */
  ok: boolean;
  endpoint: string | null;
  error: string | null;
}

export interface FaultRecord {
  kind: FaultKind;
  /** What it hit, in words (a worker and its pid, a host, the router's pid…). */
  target: string;
  injectedAt: number;
  /** When the fault was undone (SIGCONT, disk freed, new core started) or, for a kill, the kill itself. */
  undoneAt: number;
  /** The deployment ready again and a request through the router served after the fault; null if not in time. */
  recoveredAt: number | null;
  restartsJournaled: number;
  /** Why recovery was not reached, or what was odd. */
  note: string | null;
}

/** A series read back across a window where its source was down: every second of it must be missing. */
export interface GapCheck {
  fault: string;
  series: string;
  /** Seconds (epoch, in the core's own clock) when nothing could have been sampled. */
  downSeconds: number;
  /** Of those, the seconds that nonetheless hold a value (filled in, or stale data taken as fresh). */
  filledSeconds: number[];
  /** The series has values again after the window. */
  resumed: boolean;
}

export interface SoakOutcome {
  requests: readonly RequestRecord[];
  faults: readonly FaultRecord[];
  /** The kinds the run was to inject: all of them, or the ones a replay named. */
  kinds: readonly FaultKind[];
  /** Kinds this machine cannot inject (disk-full where mount is not permitted), with the reason. */
  skipped: ReadonlyArray<{ kind: FaultKind; reason: string }>;
  /** Faults that found the site not in a state to take them (a worker not running when it was to be killed). */
  notInjected: ReadonlyArray<{ kind: FaultKind; reason: string }>;
  /** Sum of the router's migration counters across its restarts; null when the router has no such metric. */
  migrated: number | null;
  /** Exits of the long-lived core that the soak did not cause (it is started again, as systemd would). */
  unexpectedCoreExits: readonly string[];
  leftovers: readonly string[];
  integrity: string;
  gaps: readonly GapCheck[];
  /** How long a fault may take to recover before it counts as not recovered. */
  recoveryTimeoutMs: number;
}

export interface FigureRow {
  figure: string;
  value: string;
  target: string;
  /** null: shown for information, no target. */
  met: boolean | null;
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** The fault whose window (injection to recovery, or to its timeout) holds the moment. */
export function faultAt(moment: number, faults: readonly FaultRecord[], recoveryTimeoutMs: number): FaultRecord | undefined {
  return faults.find((f) => moment >= f.injectedAt && moment <= (f.recoveredAt ?? f.undoneAt + recoveryTimeoutMs));
}

/** A request is "during a fault" when it started in that fault's window. */
export const faultOf = (request: RequestRecord, faults: readonly FaultRecord[], recoveryTimeoutMs: number): FaultRecord | undefined => faultAt(request.startedAt, faults, recoveryTimeoutMs);

/** A failure belongs to the fault it ended in (a stream cut by a kill started before it), else the one it started in. */
const blamed = (request: RequestRecord, faults: readonly FaultRecord[], recoveryTimeoutMs: number): FaultRecord | undefined => faultAt(request.endedAt, faults, recoveryTimeoutMs) ?? faultOf(request, faults, recoveryTimeoutMs);

/**
 * A stream the killed router itself carried: it started before the kill and broke at it. No router can continue
 * a stream whose client connection died with it; these are counted apart from the target.
 */
export function heldByKilledRouter(request: RequestRecord, faults: readonly FaultRecord[]): boolean {
  return faults.some((f) => f.kind === 'router-kill' && request.startedAt < f.injectedAt && request.endedAt >= f.injectedAt && request.endedAt - f.injectedAt < 1_000);
}

/** How many of the requests fell under each kind of fault, e.g. "router-kill 3, no fault 1". */
function byFault(requests: readonly RequestRecord[], faults: readonly FaultRecord[], recoveryTimeoutMs: number): string {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const label = blamed(r, faults, recoveryTimeoutMs)?.kind ?? 'no fault';
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${label} ${n}`).join(', ');
}

const counted = (requests: readonly RequestRecord[], faults: readonly FaultRecord[], recoveryTimeoutMs: number): string => (requests.length ? `${requests.length} (${byFault(requests, faults, recoveryTimeoutMs)})` : '0');

const ms = (value: number | null): string => (value === null ? '—' : `${Math.round(value)} ms`);
const seconds = (value: number | null): string => (value === null ? '—' : `${(value / 1000).toFixed(1)} s`);

function ttftRow(label: string, requests: readonly RequestRecord[]): FigureRow {
  const ttfts = requests.filter((r) => r.ok && r.firstTokenAt !== null).map((r) => (r.firstTokenAt as number) - r.startedAt);
  return { figure: `TTFT ${label}`, value: `p50 ${ms(percentile(ttfts, 50))}, p99 ${ms(percentile(ttfts, 99))} (${ttfts.length} requests)`, target: '—', met: null };
}

/** Restarts the ops journal shows per fault of a kind: worker kills restart, the rest must not touch the workers. */
function restartTarget(kind: FaultKind): { text: string; met: (n: number) => boolean } | null {
  if (WORKER_KILLS.includes(kind)) return { text: '≥ 1 each', met: (n) => n >= 1 };
  if (kind === 'core-kill' || kind === 'router-kill' || kind === 'clock-back') return { text: '0 each', met: (n) => n === 0 };
  return null;
}

export function figureRows(outcome: SoakOutcome): FigureRow[] {
  const { requests, faults } = outcome;
  const failedBefore = requests.filter((r) => !r.ok && r.firstTokenAt === null);
  const brokenStreams = requests.filter((r) => !r.ok && r.firstTokenAt !== null);
  const failedAfter = brokenStreams.filter((r) => !heldByKilledRouter(r, faults));
  const onKilledRouter = brokenStreams.length - failedAfter.length;
  const timeout = outcome.recoveryTimeoutMs;
  const injected = `${faults.length}${outcome.skipped.length ? `; cannot inject here: ${outcome.skipped.map((s) => `${s.kind} (${s.reason})`).join('; ')}` : ''}${outcome.notInjected.length ? `; found the site unable to take: ${outcome.notInjected.map((s) => `${s.kind} (${s.reason})`).join('; ')}` : ''}`;
  const rows: FigureRow[] = [
    { figure: 'faults injected', value: injected, target: 'every kind at least once', met: outcome.notInjected.length === 0 && outcome.kinds.every((k) => faults.some((f) => f.kind === k) || outcome.skipped.some((s) => s.kind === k)) },
    { figure: 'requests started', value: String(requests.length), target: '> 0', met: requests.length > 0 },
    { figure: 'failed before the first token', value: counted(failedBefore, faults, timeout), target: '0', met: failedBefore.length === 0 },
    {
      figure: 'failed after the first token',
      value: `${counted(failedAfter, faults, timeout)}${onKilledRouter ? `; besides, ${onKilledRouter} cut with the killed router's own connections` : ''}`,
      target: '0 (with migration)',
      met: failedAfter.length === 0,
    },
    { figure: 'migrated', value: outcome.migrated === null ? 'n/a' : String(outcome.migrated), target: '—', met: null },
    ttftRow(
      'without faults',
      requests.filter((r) => !faultOf(r, faults, timeout)),
    ),
    ttftRow(
      'during faults',
      requests.filter((r) => faultOf(r, faults, timeout)),
    ),
  ];
  for (const kind of FAULT_KINDS) {
    const ofKind = faults.filter((f) => f.kind === kind);
    if (ofKind.length === 0) continue;
    const times = ofKind.filter((f) => f.recoveredAt !== null).map((f) => (f.recoveredAt as number) - f.injectedAt);
    const missed = ofKind.length - times.length;
    rows.push({
      figure: `recovery: ${kind}`,
      value: `p50 ${seconds(percentile(times, 50))}, max ${seconds(times.length ? Math.max(...times) : null)} (${times.length}/${ofKind.length} recovered)`,
      target: `each within ${seconds(outcome.recoveryTimeoutMs)}`,
      met: missed === 0,
    });
  }
  for (const kind of FAULT_KINDS) {
    const ofKind = faults.filter((f) => f.kind === kind);
    if (ofKind.length === 0) continue;
    const target = restartTarget(kind);
    rows.push({ figure: `restarts journaled: ${kind}`, value: ofKind.map((f) => f.restartsJournaled).join(', '), target: target?.text ?? '—', met: target ? ofKind.every((f) => target.met(f.restartsJournaled)) : null });
  }
  rows.push(
    { figure: 'unexpected exits of the long-lived core', value: outcome.unexpectedCoreExits.length ? `${outcome.unexpectedCoreExits.length}: ${outcome.unexpectedCoreExits.join('; ')}` : '0', target: '0', met: outcome.unexpectedCoreExits.length === 0 },
    { figure: 'processes left after the final stop', value: outcome.leftovers.length ? `${outcome.leftovers.length}: ${outcome.leftovers.join(', ')}` : '0', target: '0', met: outcome.leftovers.length === 0 },
    { figure: 'store PRAGMA integrity_check', value: outcome.integrity, target: 'ok', met: outcome.integrity === 'ok' },
  );
  for (const gap of outcome.gaps) {
    const figure = `telemetry gap: ${gap.series} across ${gap.fault}`;
    // A source back within the seconds its edges need says nothing either way.
    if (gap.downSeconds === 0) rows.push({ figure, value: 'n/a (down for less than a whole second to check)', target: '—', met: null });
    else
      rows.push({
        figure,
        value: `${gap.downSeconds - gap.filledSeconds.length}/${gap.downSeconds} s missing${gap.filledSeconds.length ? ` (filled: ${gap.filledSeconds.join(', ')})` : ''}${gap.resumed ? '' : ', not resumed'}`,
        target: 'all missing, then resumed',
        met: gap.filledSeconds.length === 0 && gap.resumed,
      });
  }
  return rows;
}

export function formatRows(rows: readonly FigureRow[]): string {
  const width = Math.max(...rows.map((r) => r.figure.length));
  return rows.map((r) => `${r.met === null ? ' ' : r.met ? '✓' : '✗'} ${r.figure.padEnd(width)}  ${r.value}${r.target === '—' ? '' : `   [target: ${r.target}]`}`).join('\n');
}
