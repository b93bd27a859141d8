// One chaos soak: the simulated site with two real llama.cpp deployments of the tiny model behind the router the
// long-lived core supervises, a steady `openai` load, and seeded faults one after another, each waited out until
// the site serves again; then the final stop and every figure.
import { copyFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { commonFreePort } from '../helpers/sshd.js';
import { startWorkersBench, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { inject, type Injected, type SoakWorld } from './faults.js';
import { SteppedClock } from '../fixtures/stepped-clock/stepped-clock.js';
import { figureRows, type FaultRecord, type FigureRow, type GapCheck, type SoakOutcome } from './figures.js';
import { SteadyLoad } from './load.js';
import { LongLivedCore } from './long-lived-core.js';
import { awaitRecovery, MigrationCounter, routerAnswers, type Recovery } from './recovery.js';
import { dataDisk, killRunProcesses, runProcesses, type DataDisk } from './run-resources.js';
import { FAULT_KINDS, FaultSchedule, type FaultKind, type NamedFault } from './schedule.js';

export const SOAK_FIRST_ADDRESS = 214; // this soak's loopback block: 127.0.0.214–217
const SETTINGS = { clients: 3, maxTokens: 16, pauseMs: 150, superviseIntervalMs: 500, coreRestartDelayMs: 2_000, recoveryTimeoutMs: 60_000, diskMiB: 64 };

export interface SoakOptions {
  minutes: number;
  seed: number;
  /** A progress line (a fault and how it ended). */
  log: (line: string) => void;
  /** Where the core's log is copied when a target is missed (the data dir goes with the run). */
  keepLogAt: string;
  /** These faults once, in this order (replaying a finding), instead of seeded rounds for `minutes`. */
  faults?: readonly NamedFault[];
}

/** What the run has started, so an interrupted run can still take all of it down. */
export interface RunHoldings {
  runDir: string;
  deploymentIds: string[];
  disk?: DataDisk;
  stopped: Set<number>;
}

export interface SoakReport {
  seed: number;
  minutes: number;
  settings: typeof SETTINGS & { disk: string };
  faults: Array<FaultRecord & { routerBackAt: number | null }>;
  outcome: SoakOutcome;
  rows: FigureRow[];
  met: boolean;
}

interface FaultRun {
  record: FaultRecord;
  injected: Injected;
  recovery: Recovery;
  clockOffsetMs: number;
  journalFrom: number;
}

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function lastJournalId(bench: WorkersBench): Promise<number> {
  return (await bench.call('system.journal', { limit: 1 }))[0]?.id ?? 0;
}

async function restartsSince(bench: WorkersBench, afterId: number): Promise<number> {
  return (await bench.call('system.journal', { limit: 1000 })).filter((e) => e.id > afterId && e.action === 'workers.restart').length;
}

/** Reads one series back across a window its source was down in; seconds are the core's own (its clock may be stepped). */
async function gapCheck(bench: WorkersBench, fault: string, series: { metric: string; source: string }, down: { from: number; to: number }, offsetMs: number): Promise<GapCheck> {
  const second = (ms: number): number => Math.floor((ms + offsetMs) / 1000);
  const downSeconds: number[] = [];
  for (let s = second(down.from); s <= second(down.to); s += 1) downSeconds.push(s);
  const result = await bench.call('telemetry.series', { ...series, from: second(down.from) - 10, to: second(down.to) + 60, maxPoints: 5000 });
  const times = result.lines.find((l) => l.source === series.source)?.t ?? [];
  return {
    fault,
    series: `${series.source} ${series.metric}${result.bucketSeconds === 1 ? '' : ` (${result.bucketSeconds} s buckets)`}`,
    downSeconds: downSeconds.length,
    filledSeconds: downSeconds.filter((s) => times.includes(s)),
    resumed: times.some((t) => t > second(down.to)),
  };
}

async function telemetryGaps(bench: WorkersBench, runs: readonly FaultRun[]): Promise<GapCheck[]> {
  const checks: GapCheck[] = [];
  for (const [n, run] of runs.entries()) {
    const label = `${run.record.kind} #${n + 1}`;
    const { injectedAt } = run.record;
    // The killed core may have sampled in the second it died; its successor cannot sample before it exists.
    if (run.injected.coreSpawnedAt !== null) checks.push(await gapCheck(bench, label, { metric: 'mem.total', source: 'workstation' }, { from: injectedAt + 1000, to: run.injected.coreSpawnedAt - 1000 }, run.clockOffsetMs));
    // The router goes with a killed core (its stdin closes) or alone. Its stats file, rewritten every second, may
    // be read up to a second after it died; the second before /healthz answered again may already be the new one's.
    const routerDown = run.record.kind === 'router-kill' || run.record.kind === 'core-kill';
    if (routerDown && run.recovery.routerBackAt !== null) checks.push(await gapCheck(bench, label, { metric: 'router.inflight', source: 'router' }, { from: injectedAt + 2000, to: run.recovery.routerBackAt - 1000 }, run.clockOffsetMs));
  }
  return checks;
}

function integrityOf(databaseFile: string): string {
  try {
    const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
    try {
      return String(db.pragma('integrity_check', { simple: true }));
    } finally {
      db.close();
    }
  } catch (error) {
    return `could not check: ${(error as Error).message}`;
  }
}

async function startSite(dataDir: string): Promise<WorkersBench> {
  const profiles = Object.fromEntries(['a1', 'a2', 'b1', 'b2'].map((name) => [`soak-${name}`, cpuWorkerProfile(`soak-worker-${name}`)]));
  return startWorkersBench({ firstAddress: SOAK_FIRST_ADDRESS, seed: 29, dataDir, profiles });
}

/** Two deployments of the same model: hosts 0–1 and hosts 2–3, so a host fault leaves the other one serving. */
async function launchDeployments(bench: WorkersBench, seed: number): Promise<{ ids: string[]; model: string }> {
  const nodes = await bench.call('discovery.nodes', {});
  const nodeOn = (i: number): string => nodes.find((n) => n.address === bench.site.hosts[i]?.sshd.address)?.name as string;
  const addresses = bench.site.hosts.map((h) => h.sshd.address);
  const ids: string[] = [];
  let model = '';
  for (const pair of [
    [0, 1],
    [2, 3],
  ]) {
    const planId = await bench.plan(pair.map(nodeOn));
    // The simulated hosts share one machine's ports: a port is taken on every host once one head listens on it.
    const port = await commonFreePort(addresses, seed + process.pid + ids.length * 7);
    const launched = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    ids.push(launched.id);
    model = launched.model;
  }
  return { ids, model };
}

export async function runSoak(options: SoakOptions, holdings: RunHoldings): Promise<SoakReport> {
  const dataDir = path.join(holdings.runDir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const disk = dataDisk(dataDir, SETTINGS.diskMiB);
  holdings.disk = disk;
  const clock = new SteppedClock(path.join(holdings.runDir, 'clock-offset-ms'));
  const bench = await startSite(dataDir);
  const { ids, model } = await launchDeployments(bench, options.seed);
  holdings.deploymentIds.push(...ids);
  options.log(`two deployments of ${model} ready: ${ids.join(', ')}`);
  const { key } = await bench.call('router.keys.add', { app: 'chaos-soak' });
  const routerPort = await freeLocalPort();
  const routerUrl = `http://127.0.0.1:${routerPort}`;
  const core = new LongLivedCore({ dataDir, routerPort, clock, superviseIntervalMs: SETTINGS.superviseIntervalMs, restartDelayMs: SETTINGS.coreRestartDelayMs });
  const world: SoakWorld = { bench, deploymentIds: ids, core, disk, dataDir, clock, coreRestartDelayMs: SETTINGS.coreRestartDelayMs, stopped: holdings.stopped };
  const load = new SteadyLoad({ baseURL: `${routerUrl}/v1`, apiKey: key, model, clients: SETTINGS.clients, maxTokens: SETTINGS.maxTokens, pauseMs: SETTINGS.pauseMs });
  const migration = new MigrationCounter(routerUrl);
  const runs: FaultRun[] = [];
  const skipped: Array<{ kind: FaultKind; reason: string }> = [];
  const notInjected: Array<{ kind: FaultKind; reason: string }> = [];
  let scraping: NodeJS.Timeout | undefined;
  const t0 = Date.now();
  const at = (): string => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
  try {
    await core.start();
    // The core starts its router child after it serves: the applications come once the router answers.
    if (!(await waitFor(async () => ((await routerAnswers(routerUrl)) ? true : undefined), 30_000))) throw new Error(`the router the core supervises does not answer on ${routerUrl}`);
    load.start();
    for (const id of ids) {
      const served = await waitFor(() => load.succeededSince(t0, id), 60_000);
      if (!served) throw new Error(`${id} served nothing through the router within 60 s: ${load.records.at(-1)?.error ?? 'no request ended'}`);
    }
    scraping = setInterval(() => void migration.scrape(), 2_000);
    options.log(`${at()} the router serves both; steady load of ${SETTINGS.clients} streams; ${options.faults ? 'the named faults' : `faults from seed ${options.seed} for ${options.minutes} min`}`);
    if (disk.unmountable) skipped.push({ kind: 'disk-full', reason: disk.unmountable });
    const kinds = FAULT_KINDS.filter((k) => !skipped.some((s) => s.kind === k));
    const schedule = new FaultSchedule(
      options.seed,
      { deployments: ids.length, hosts: bench.site.hosts.length, calmMs: [2_000, 5_000], diskFullMs: [5_000, 12_000] },
      kinds,
      options.faults?.filter((f) => kinds.includes(f.kind)),
    );
    const end = options.faults ? t0 : t0 + options.minutes * 60_000;
    while (Date.now() < end || schedule.completedRounds < 1) {
      const planned = schedule.next();
      await sleep(planned.calmMs);
      // A fault that did not recover in time is left behind, but the next one still finds the site as whole as it gets.
      await waitFor(async () => ((await bench.call('workers.list', { all: false })).every((d) => d.state === 'ready') ? true : undefined), 30_000);
      if (runs.length) await settleJournal(bench, runs.at(-1) as FaultRun);
      await migration.scrape();
      const journalFrom = await lastJournalId(bench);
      const clockOffsetMs = clock.offsetMs;
      const injectedAt = Date.now();
      const injected = await inject(planned, world);
      if (typeof injected === 'string') {
        notInjected.push({ kind: planned.kind, reason: injected });
        options.log(`${at()} ${planned.kind} could not be injected: ${injected}`);
        continue;
      }
      const recovery = await awaitRecovery(world, load, routerUrl, injected, SETTINGS.recoveryTimeoutMs);
      const record: FaultRecord = { kind: planned.kind, target: injected.target, injectedAt, undoneAt: injected.undoneAt, recoveredAt: recovery.recoveredAt, restartsJournaled: 0, note: recovery.note };
      runs.push({ record, injected, recovery, clockOffsetMs, journalFrom });
      options.log(`${at()} ${planned.kind}: ${injected.target} → ${recovery.recoveredAt === null ? recovery.note : `serving again after ${((recovery.recoveredAt - injectedAt) / 1000).toFixed(1)} s`}`);
    }
    await sleep(3_000);
    if (runs.length) await settleJournal(bench, runs.at(-1) as FaultRun);
  } finally {
    clearInterval(scraping);
    await load.stop();
  }
  await migration.scrape();
  const gaps = await telemetryGaps(bench, runs);
  options.log(`${at()} final stop: the deployments, the long-lived core, the site`);
  for (const id of ids) await bench.call('workers.stop', { deployment: id }).catch((error: Error) => options.log(`workers.stop ${id}: ${error.message}`));
  const coreEnded = await core.stop(20_000);
  if (coreEnded !== 'exit code 0') options.log(`the long-lived core ended with ${coreEnded} on SIGTERM`);
  await bench.close();
  const integrity = integrityOf(path.join(dataDir, 'outpost.db'));
  const leftovers = runProcesses(holdings.runDir, ids).map((p) => `${p.name} ${p.pid}`);
  killRunProcesses(holdings.runDir, ids);
  const outcome: SoakOutcome = {
    requests: load.records,
    faults: runs.map((r) => r.record),
    kinds: options.faults?.map((f) => f.kind) ?? FAULT_KINDS,
    skipped,
    notInjected,
    migrated: migration.value(),
    unexpectedCoreExits: core.unexpectedExits,
    leftovers,
    integrity,
    gaps,
    recoveryTimeoutMs: SETTINGS.recoveryTimeoutMs,
  };
  const rows = figureRows(outcome);
  const met = rows.every((r) => r.met !== false);
  if (!met) copyFileSync(path.join(dataDir, 'logs', 'outpost.log'), options.keepLogAt);
  return {
    seed: options.seed,
    minutes: options.minutes,
    settings: { ...SETTINGS, disk: disk.unmountable ?? `tmpfs of ${SETTINGS.diskMiB} MiB` },
    faults: runs.map((r) => ({ ...r.record, routerBackAt: r.recovery.routerBackAt })),
    outcome,
    rows,
    met,
  };
}

/** The restarts a fault caused are journaled up to the next fault (a dead tunnel may be noticed after the site serves again). */
async function settleJournal(bench: WorkersBench, run: FaultRun): Promise<void> {
  run.record.restartsJournaled = await restartsSince(bench, run.journalFrom);
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(200);
  }
}
