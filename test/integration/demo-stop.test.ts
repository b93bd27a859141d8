// `npm start` as a new user runs it: the demo comes up on its simulated site, then Ctrl-C (SIGINT to the whole
// process group, as a terminal sends it), SIGTERM (to the demo alone, as a process manager may) or SIGHUP (the
// terminal closed) must leave no llama-server, ggml-rpc-server, tunnel or sshd of that run; and the next run comes
// up again on the same pinned nodes, under the same names — also after a run killed outright.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { descendantsOf, portFreeOn, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { taggedProcesses, until } from '../helpers/workers.js';

const DEMO_ADDRESSES = ['127.0.0.150', '127.0.0.151'];
const DEMO_API_PORT = 18081;
const unavailable = await sshdFleetUnavailableReason(150);

interface DemoRun {
  demo: ChildProcess;
  deployment: string;
  /** Every process of the run while it served: the demo's tree, the site's tree, the deployment's workers. */
  processes: number[];
  output: () => string;
  exited: Promise<void>;
}

/** Alive and not a zombie waiting to be reaped. */
const running = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Processes whose command line names this data dir (the ui, the router child, the site fixture). */
function namingDataDir(home: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(home);
      } catch {
        return false;
      }
    });
}

async function startDemo(home: string): Promise<DemoRun> {
  const demo = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'demo.mjs')], {
    cwd: REPO_ROOT,
    env: { ...process.env, OUTPOST_HOME: home, OUTPOST_PORT: '0', OUTPOST_ROUTER_PORT: '0', OUTPOST_SUPERVISE_INTERVAL_MS: '500' },
    // Its own process group, as a terminal's foreground job: the whole group is signalled below.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  demo.stdout?.on('data', (d: Buffer) => void (out += d.toString('utf8')));
  demo.stderr?.on('data', (d: Buffer) => void (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => demo.once('exit', () => resolve()));
  const ended = (): boolean => demo.exitCode !== null || demo.signalCode !== null;
  await until('the demo serving its window and its deployment', () => (ended() ? Promise.reject(new Error(`the demo exited:\n${out}`)) : out.includes('Outpost is serving') && out.includes('is serving the tiny model')), 240_000);
  const deployment = /deployment (dep-[0-9a-f]+) is serving/.exec(out)?.[1] as string;
  const site = (JSON.parse(readFileSync(path.join(home, 'demo-site', 'pids.json'), 'utf8')) as { site: number; sshd: number[] }).site;
  const processes = [...new Set([demo.pid as number, ...descendantsOf(demo.pid as number), site, ...descendantsOf(site), ...taggedProcesses(deployment), ...namingDataDir(home)])];
  assert.ok(taggedProcesses(deployment).length >= 3, 'the head, the rpc-server and the tunnel run');
  return { demo, deployment, processes, output: () => out, exited };
}

async function assertNothingLeft(run: DemoRun, home: string): Promise<void> {
  await Promise.race([run.exited, sleep(90_000, undefined, { ref: false }).then(() => Promise.reject(new Error(`the demo did not exit:\n${run.output()}`)))]);
  await until('every process of the run to be gone', () => run.processes.every((pid) => !running(pid)) && !taggedProcesses(run.deployment).some(running), 10_000).catch(() => undefined);
  const left = run.processes.filter(running).map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
  assert.deepEqual(left, [], `left running after the stop:\n${left.join('\n')}\n--- demo output:\n${run.output()}`);
  assert.deepEqual(taggedProcesses(run.deployment).filter(running), [], 'no worker of the deployment is left');
  assert.deepEqual(namingDataDir(home).filter(running), [], 'nothing naming the data dir is left');
  assert.ok(await portFreeOn(['127.0.0.150'], DEMO_API_PORT), 'the API port is free again');
}

async function nodeNames(home: string): Promise<string[]> {
  const nodes = await runOutpost(['--data-dir', home, 'nodes', '--json']);
  return (JSON.parse(nodes.stdout) as Array<{ name: string }>).map((n) => n.name).sort();
}

test('the demo stops everything on Ctrl-C, SIGTERM and SIGHUP, and comes back on the same nodes every time', { skip: unavailable, timeout: 600_000 }, async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'outpost-demo-stop-'));
  let current: DemoRun | null = null;
  t.after(async () => {
    if (current && current.demo.exitCode === null) {
      process.kill(-(current.demo.pid as number), 'SIGINT');
      await current.exited;
    }
    rmSync(home, { recursive: true, force: true });
  });
  assert.ok(existsSync(OUTPOST_BIN));
  // A terminal's Ctrl-C and a closed terminal reach the whole group; SIGTERM comes to the demo alone.
  const stops: Array<{ signal: NodeJS.Signals; group: boolean }> = [
    { signal: 'SIGINT', group: true },
    { signal: 'SIGTERM', group: false },
    { signal: 'SIGHUP', group: true },
  ];
  let names: string[] | null = null;
  for (const { signal, group } of stops) {
    current = await startDemo(home);
    const now = await nodeNames(home);
    assert.deepEqual(now, names ?? ['edge-box-a', 'edge-box-b'], 'the same nodes under the same names, run after run');
    names = now;
    process.kill(group ? -(current.demo.pid as number) : (current.demo.pid as number), signal);
    await assertNothingLeft(current, home);
    assert.match(current.output(), new RegExp(`deployment ${current.deployment} stopped`), `${signal}: the deployment was stopped over SSH`);
  }

  // Killed outright (the demo's group and the site process, whose sshd stay): the next run clears what was left
  // and comes up as before.
  current = await startDemo(home);
  const site = (JSON.parse(readFileSync(path.join(home, 'demo-site', 'pids.json'), 'utf8')) as { site: number }).site;
  process.kill(site, 'SIGKILL');
  process.kill(-(current.demo.pid as number), 'SIGKILL');
  await current.exited;
  const killed = current;
  current = await startDemo(home);
  assert.match(current.output(), new RegExp(`stopping deployment ${killed.deployment}, left running by an earlier run`));
  assert.deepEqual(taggedProcesses(killed.deployment).filter(running), [], "the killed run's workers were stopped");
  assert.deepEqual(await nodeNames(home), names);
  process.kill(-(current.demo.pid as number), 'SIGINT');
  await assertNothingLeft(current, home);
  assert.ok(await portFreeOn(DEMO_ADDRESSES, Number(readFileSync(path.join(home, 'demo-site', 'port'), 'utf8'))), "the hosts' SSH port is free again");
});
