// The soak's faults, each done to the real thing: a worker or router process killed by its pid (checked first
// to be ours), a host's sshd frozen or restarted, the data dir's file system filled, the core killed and started
// again, the clock the core and router read stepped back.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../../shared/domain/workers.js';
import { descendantsOf } from '../helpers/sshd.js';
import type { WorkersBench } from '../helpers/workers.js';
import type { SteppedClock } from '../fixtures/stepped-clock/stepped-clock.js';
import type { LongLivedCore } from './long-lived-core.js';
import { readOr, type DataDisk } from './run-resources.js';
import type { PlannedFault } from './schedule.js';

export interface SoakWorld {
  bench: WorkersBench;
  /** The deployments, in plan order: deployment i runs on hosts 2i and 2i+1. */
  deploymentIds: readonly string[];
  core: LongLivedCore;
  disk: DataDisk;
  dataDir: string;
  clock: SteppedClock;
  /** Pause before "systemd" starts a killed core again. */
  coreRestartDelayMs: number;
  /** Processes SIGSTOPped right now, so an interrupted run still continues them. */
  stopped: Set<number>;
}

export interface Injected {
  target: string;
  undoneAt: number;
  /** The deployment the fault hits, watched until it serves again; null: the whole site. */
  victim: string | null;
  /** A killed worker: the deployment counts as recovered only once that worker runs under a new pid. */
  killed: { worker: string; pid: number } | null;
  /** When the killed core's successor was started (nothing could sample before it). */
  coreSpawnedAt: number | null;
}

const ROLE_OF_KILL: Partial<Record<PlannedFault['kind'], 'head' | 'rpc' | 'tunnel'>> = { 'head-kill': 'head', 'rpc-kill': 'rpc', 'tunnel-kill': 'tunnel' };

const environOf = (pid: number): string[] => readOr(`/proc/${pid}/environ`).split('\0');

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // gone meanwhile
    }
  }
}

async function deployment(world: SoakWorld, id: string): Promise<Deployment> {
  const found = (await world.bench.call('workers.list', { all: true })).find((d) => d.id === id);
  if (!found) throw new Error(`deployment ${id} is gone from the store`);
  return found;
}

/** The deployment running on host `index` (each host serves exactly one). */
export function deploymentOfHost(world: SoakWorld, index: number): string {
  return world.deploymentIds[Math.floor(index / 2)] as string;
}

/** Injects one fault; resolves when it has been undone (or at once, for a kill). A string says why it was skipped. */
export async function inject(fault: PlannedFault, world: SoakWorld): Promise<Injected | string> {
  const done = (target: string, victim: string | null, extra: Partial<Injected> = {}): Injected => ({ target, undoneAt: Date.now(), victim, killed: null, coreSpawnedAt: null, ...extra });
  switch (fault.kind) {
    case 'head-kill':
    case 'rpc-kill':
    case 'tunnel-kill': {
      const id = world.deploymentIds[fault.target] as string;
      const role = ROLE_OF_KILL[fault.kind];
      const worker = (await deployment(world, id)).workers.find((w) => w.role === role);
      if (!worker?.pid) return `${id} has no running ${role} right now`;
      // Pids are reused: kill only a process that carries this worker's tag.
      if (!environOf(worker.pid).includes(`OUTPOST_WORKER=${id}/${worker.name}`)) return `${id}/${worker.name} pid ${worker.pid} is not that worker any more`;
      process.kill(worker.pid, 'SIGKILL');
      return done(`${id}/${worker.name} (pid ${worker.pid}) on ${worker.address}`, id, { killed: { worker: worker.name, pid: worker.pid } });
    }
    case 'sshd-stop': {
      const host = world.bench.site.hosts[fault.target];
      if (!host?.sshd.pid) return 'no such host';
      // The listener and its sessions (their shells, an RPC tunnel's far end), not the detached workers.
      const pids = [host.sshd.pid, ...descendantsOf(host.sshd.pid)].filter((pid) => !environOf(pid).some((v) => v.startsWith('OUTPOST_WORKER=')));
      const injectedAt = Date.now();
      signal(pids, 'SIGSTOP');
      pids.forEach((pid) => world.stopped.add(pid));
      await sleep(Math.max(0, fault.holdMs - (Date.now() - injectedAt)));
      signal(pids, 'SIGCONT');
      pids.forEach((pid) => world.stopped.delete(pid));
      return done(`sshd of ${host.sshd.address} (${pids.length} processes) for ${fault.holdMs / 1000} s`, deploymentOfHost(world, fault.target));
    }
    case 'sshd-restart': {
      const host = world.bench.site.hosts[fault.target];
      if (!host) return 'no such host';
      await host.sshd.restart();
      return done(`sshd of ${host.sshd.address}, same host key and port`, deploymentOfHost(world, fault.target));
    }
    case 'router-kill': {
      const pid = Number(readOr(path.join(world.dataDir, 'router', 'router.lock')).trim());
      const cmdline = Number.isInteger(pid) && pid > 0 ? readOr(`/proc/${pid}/cmdline`) : '';
      if (!cmdline.includes('router') || !cmdline.includes(world.dataDir)) return `the router lock names pid ${pid || 'none'}, which is not this site's router`;
      process.kill(pid, 'SIGKILL');
      return done(`outpost router (pid ${pid})`, null);
    }
    case 'core-kill': {
      const pid = await world.core.kill();
      if (pid === null) return 'the long-lived core is not running';
      await sleep(world.coreRestartDelayMs);
      const coreSpawnedAt = Date.now();
      await world.core.start();
      return done(`outpost service run (pid ${pid}), started again after ${world.coreRestartDelayMs / 1000} s`, null, { coreSpawnedAt });
    }
    case 'disk-full': {
      if (world.disk.unmountable) return world.disk.unmountable;
      const injectedAt = Date.now();
      world.disk.fill();
      await sleep(Math.max(0, fault.holdMs - (Date.now() - injectedAt)));
      world.disk.free();
      return done(`the data dir's tmpfs, full for ${(fault.holdMs / 1000).toFixed(1)} s`, null);
    }
    case 'clock-back':
      world.clock.step(-3_600_000);
      return done(`the core's and router's wall clock, one hour back (now ${world.clock.offsetMs / 3_600_000} h)`, null);
  }
}
