// `npm run soak [-- --minutes N] [-- --seed S] [-- --json FILE] [-- --faults rpc-kill:0,clock-back,…]`: the chaos soak of the whole simulated site
// (see README, "Chaos soak"). Prints its figures, each with its target; exits 1 when a target is missed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { formatRows } from './figures.js';
import { parseFaultList, type NamedFault } from './schedule.js';
import { killRunProcesses } from './run-resources.js';
import { runSoak, SOAK_FIRST_ADDRESS, type RunHoldings } from './run-soak.js';

function options(): { minutes: number; seed: number; json: string | undefined; faults: NamedFault[] | undefined } {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, seed: { type: 'string', default: '1' }, json: { type: 'string' }, faults: { type: 'string' } } });
  const minutes = Number(values.minutes);
  const seed = Number(values.seed);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes takes a number of minutes above 0 (got ${values.minutes})`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed takes a whole number (got ${values.seed})`);
  return { minutes, seed, json: values.json, faults: values.faults === undefined ? undefined : parseFaultList(values.faults) };
}

async function main(): Promise<number> {
  const { minutes, seed, json, faults } = options();
  const unavailable = await sshdFleetUnavailableReason(SOAK_FIRST_ADDRESS);
  if (unavailable) {
    console.error(`soak: the simulated site cannot run here: ${unavailable}`);
    return 1;
  }
  // Every temp dir of the run (the site's hosts, the engine copy, the data dir) lies under one folder, which
  // also marks every process of the run in its environment, command line or binary path.
  const keepLogAt = path.join(os.tmpdir(), `outpost-soak-seed${seed}-core.log`);
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'outpost-soak-'));
  chmodSync(runDir, 0o755);
  process.env.TMPDIR = runDir;
  const holdings: RunHoldings = { runDir, deploymentIds: [], stopped: new Set() };
  const takeDown = (): void => {
    // A frozen sshd's session shells carry no mark of the run: continue them before their sshd goes.
    for (const pid of holdings.stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    killRunProcesses(runDir, holdings.deploymentIds);
    holdings.disk?.release();
    rmSync(runDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`soak: ${signal}: stopping everything this run started`);
      takeDown();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  console.log(`chaos soak: ${faults ? `the faults ${faults.map((f) => f.kind).join(', ')} once` : `${minutes} min`}, seed ${seed}, run dir ${runDir}`);
  try {
    const report = await runSoak({ minutes, seed, log: (line) => console.log(line), keepLogAt, ...(faults ? { faults } : {}) }, holdings);
    console.log(`\nsettings: ${JSON.stringify(report.settings)}\n${formatRows(report.rows)}`);
    if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    const missed = report.rows.filter((r) => r.met === false).length;
    console.log(missed ? `\nsoak: ${missed} target(s) missed (the core's log: ${keepLogAt})` : '\nsoak: every target met');
    return missed ? 1 : 0;
  } finally {
    takeDown();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
