/**
 * `npm run bench:discovery`: inventory 1 host, then 32 hosts, of the simulated site (real sshd servers on
 * 127.0.0.100–131, all on this machine's 2 cores), with
 *   (a) Outpost: one process, ssh2, one exec channel per host;
 *   (b) a plain fan-out of OpenSSH clients running the same probe script (`ssh host sh -s < probe`, one
 *       process per host, all in parallel) — the reference for "as fast as SSH allows";
 *   (c) `ansible -m setup` (Debian's ansible-core, forks=32, pipelining on, host keys pre-accepted),
 * then a /24 with 10 live hosts through Outpost. Prints wall time, CPU seconds of the client side and of the
 * sshd side (listeners' own and reaped children's ticks from /proc), and the ratios against the targets.
 * `--skip-ansible` leaves (c) out (it takes about a minute here).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callContext, openCore } from '../../main/app/core.js';
import { PROBE_SCRIPT, probeCommand } from '../../main/discovery/index.js';
import type { ScanResult } from '../../shared/domain/discovery.js';
import { DEFAULT_MODEL_DIRS } from '../../shared/contract/discovery.js';
import { commonFreePort } from '../helpers/sshd.js';
import { SITE_PROFILES } from '../fixtures/simulated-site/profiles.js';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

const HOSTS = 32;
const FIRST = 100;
const TICK = 100; // USER_HZ on Linux
const work = mkdtempSync(path.join(os.tmpdir(), 'outpost-bench-discovery-'));

interface Measure {
  wallS: number;
  clientCpuS: number;
  serverCpuS: number;
}

interface ProcTimes {
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU and that of the children it has reaped. */
  total: number;
}

function procTable(): Map<number, ProcTimes> {
  const table = new Map<number, ProcTimes>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      table.set(Number(name), { ppid: f[1] ?? 0, total: (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0) });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** CPU ticks of a process tree: the roots, their live descendants, and everything they reaped. */
function treeTicks(roots: ReadonlyArray<number | undefined>, exclude = new Set<number>()): number {
  const table = procTable();
  const children = new Map<number, number[]>();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let sum = 0;
  const queue = roots.filter((r): r is number => r !== undefined);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (exclude.has(pid)) continue;
    sum += table.get(pid)?.total ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return sum;
}

async function measure(site: SimulatedSite, hosts: number, run: () => Promise<void>): Promise<Measure> {
  const sshd = site.hosts.map((h) => h.sshd.pid);
  const sshdSet = new Set(sshd.filter((p): p is number => p !== undefined));
  // The client side is this process and its children (ssh, ansible), but not the sshd fleet it started.
  const client = (): number => treeTicks([process.pid], sshdSet) - ownTicks();
  const server0 = treeTicks(sshd);
  const client0 = client();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wallS = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  // Let sshd reap the sessions that just closed, so their CPU shows in its cutime/cstime.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const childTicks = client() - client0;
  // Approximate: a process that ends unreaped between the two readings takes its ticks with it.
  return { wallS, clientCpuS: (self.user + self.system) / 1e6 + Math.max(0, childTicks) / TICK, serverCpuS: Math.max(0, treeTicks(sshd) - server0) / TICK };
}

/** This process's own utime + stime (process.cpuUsage counts it more precisely). */
function ownTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (f[11] ?? 0) + (f[12] ?? 0);
}

function outpostScan(dataDir: string, targets: string, user: string, key: string): () => Promise<void> {
  return async () => {
    const core = openCore({ dataDir });
    try {
      const envelope = await core.dispatcher.invoke('discovery.scan', { targets, user, key, timeoutMs: 60_000 }, callContext('cli'));
      if (!envelope.ok) throw new Error(envelope.error.message);
      const result = envelope.result as ScanResult;
      if (result.counts.inventoried !== result.counts.live) throw new Error(`outpost: ${JSON.stringify(result.hosts.filter((h) => h.outcome !== 'inventoried'))}`);
    } finally {
      core.close();
    }
  };
}

/** A new data dir per run, so every run pins host keys on first use and writes new nodes: the same work each time. */
const freshDataDir = (): string => mkdtempSync(path.join(work, 'data-'));

function sshFanOut(site: SimulatedSite, hosts: number, key: string, knownHosts: string): () => Promise<void> {
  return () =>
    Promise.all(
      site.hosts.slice(0, hosts).map(
        (h) =>
          new Promise<void>((resolve, reject) => {
            const boundary = `@@outpost-${randomBytes(16).toString('hex')}`;
            const child = spawn('ssh', ['-i', key, '-p', String(h.sshd.port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${site.user}@${h.sshd.address}`, probeCommand(boundary, DEFAULT_MODEL_DIRS)], {
              stdio: ['pipe', 'pipe', 'pipe'],
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
            child.on('close', (code) => (code === 0 && out.includes(`${boundary} end`) ? resolve() : reject(new Error(`ssh ${h.sshd.address} exited ${code}`))));
            child.stdin.end(PROBE_SCRIPT);
          }),
      ),
    ).then(() => undefined);
}

function ansibleSetup(site: SimulatedSite, hosts: number, key: string, knownHosts: string): () => Promise<void> {
  const inventory = path.join(work, `inventory-${hosts}.ini`);
  writeFileSync(
    inventory,
    `[site]\n${site.hosts
      .slice(0, hosts)
      .map((h, i) => `h${i} ansible_host=${h.sshd.address} ansible_port=${h.sshd.port}`)
      .join('\n')}\n[site:vars]\nansible_user=${site.user}\nansible_ssh_private_key_file=${key}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts}'\n`,
  );
  return () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('ansible', ['site', '-i', inventory, '-m', 'setup', '--forks', '32', '-o'], {
        env: { ...process.env, ANSIBLE_PIPELINING: 'True', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-local'), ANSIBLE_CONTROL_PATH_DIR: path.join(work, 'ansible-cp'), ANSIBLE_NOCOLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ansible exited ${code}: ${out.slice(-600)}`))));
    });
}

const fmt = (m: Measure): string => `${m.wallS.toFixed(2).padStart(7)} s wall  ${m.clientCpuS.toFixed(2).padStart(6)} s client CPU  ${m.serverCpuS.toFixed(2).padStart(6)} s sshd-side CPU`;

async function main(): Promise<void> {
  const skipAnsible = process.argv.includes('--skip-ansible') || !existsSync('/usr/bin/ansible');
  const keyFile = path.join(work, 'site_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const names = Object.keys(SITE_PROFILES);
  const profiles = Array.from({ length: HOSTS }, (_, i) => names[i % names.length] as string);
  const addresses = profiles.map((_, i) => `127.0.0.${FIRST + i}`);
  const port = await commonFreePort(addresses, 4242);
  const site = await startSimulatedSite({ profiles, authorizedKey: readFileSync(`${keyFile}.pub`, 'utf8'), firstAddress: FIRST, port, readyTimeoutMs: 60_000 });
  try {
    const knownHosts = path.join(work, 'known_hosts');
    writeFileSync(knownHosts, site.hosts.map((h) => `${h.sshd.knownHostsLine}\n`).join(''));
    const list = (n: number): string =>
      site.hosts
        .slice(0, n)
        .map((h) => `${h.sshd.address}:${port}`)
        .join(',');
    console.log(`simulated site: ${HOSTS} real sshd hosts on 127.0.0.${FIRST}–${FIRST + HOSTS - 1}:${port}, sharing this machine's ${os.cpus().length} cores\n`);
    await sshFanOut(site, HOSTS, keyFile, knownHosts)(); // warm-up: page cache, sshd first-connection costs

    const rows: Record<string, { one: Measure; all: Measure }> = {};
    rows.outpost = {
      one: await measure(site, 1, outpostScan(freshDataDir(), list(1), site.user, keyFile)),
      all: await measure(site, HOSTS, outpostScan(freshDataDir(), list(HOSTS), site.user, keyFile)),
    };
    rows['openssh fan-out'] = { one: await measure(site, 1, sshFanOut(site, 1, keyFile, knownHosts)), all: await measure(site, HOSTS, sshFanOut(site, HOSTS, keyFile, knownHosts)) };
    if (!skipAnsible) rows['ansible -m setup'] = { one: await measure(site, 1, ansibleSetup(site, 1, keyFile, knownHosts)), all: await measure(site, HOSTS, ansibleSetup(site, HOSTS, keyFile, knownHosts)) };

    for (const [name, r] of Object.entries(rows)) {
      console.log(`${name.padEnd(17)}  1 host: ${fmt(r.one)}`);
      console.log(`${''.padEnd(17)} ${HOSTS} hosts: ${fmt(r.all)}`);
    }
    const o = rows.outpost;
    const s = rows['openssh fan-out'];
    console.log('');
    console.log(`outpost ${HOSTS} hosts / openssh fan-out ${HOSTS} hosts: ${(o.all.wallS / s.all.wallS).toFixed(2)}× wall (target ≤ 1, aim 0.5), ${(o.all.clientCpuS / s.all.clientCpuS).toFixed(2)}× client CPU`);
    const a = rows['ansible -m setup'];
    if (a) console.log(`ansible -m setup / outpost: ${(a.one.wallS / o.one.wallS).toFixed(1)}× for 1 host, ${(a.all.wallS / o.all.wallS).toFixed(1)}× for ${HOSTS} hosts (target ≥ 10×)`);
    else console.log('ansible -m setup: skipped (--skip-ansible, or no /usr/bin/ansible: apt-get install ansible-core)');
    console.log(`outpost ${HOSTS} hosts / 1 host: ${(o.all.wallS / o.one.wallS).toFixed(1)}× (PRODUCT.md's ≤ 2× assumes remote servers; here all ${HOSTS} sshd share ${os.cpus().length} cores)`);

    // A /24 with 10 live hosts: the other hosts go offline first.
    await Promise.all(site.hosts.slice(10).map((h) => h.sshd.stop()));
    const sweep = await measure(site, 10, outpostScan(freshDataDir(), `127.0.0.0/24:${port}`, site.user, keyFile));
    console.log(`outpost /24 (254 addresses) with 10 live hosts, scanned and inventoried: ${sweep.wallS.toFixed(2)} s (target ≤ 5 s)`);
  } finally {
    await site.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
