// Test-only: a fleet of real OpenSSH servers on 127.0.0.2, 127.0.0.3, … so integration
// tests exercise the same sshd our users' GPU hosts run, not a mock SSH server.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DEFAULT_TEST_USER = 'outpost-test';

export interface SshdFleetOptions {
  count: number;
  /** Last octet of the first loopback address; hosts take consecutive octets. */
  firstAddress?: number;
  user?: string;
  readyTimeoutMs?: number;
  /** One port for every host (as on a real LAN, so a CIDR scan finds them all); default: a free port each. */
  port?: number;
  /** Extra sshd_config lines for one host, e.g. `SetEnv PATH=…` for a simulated machine's tools. */
  extraConfig?: (address: string) => readonly string[];
  /**
   * A folder per host that keeps its host key across fleets (made on first use, reused after): a host that
   * comes back with the same key on the same port is the same pinned node to a rescan. Default: a fresh key.
   */
  hostKeyDir?: (address: string) => string;
}

export interface SshdHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Exactly what `ssh-keygen -lf` prints, e.g. `SHA256:abc…` (no padding); an oracle for production code. */
  readonly hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA… comment`, as in the host's .pub file. */
  readonly hostPublicKey: string;
  /** `[address]:port ssh-ed25519 AAAA…`, for OpenSSH clients' known_hosts. */
  readonly knownHostsLine: string;
  /** OpenSSH-format ed25519 private key whose public half is this host's only authorized key. */
  readonly clientKeyPath: string;
  readonly clientPublicKey: string;
  readonly pid: number | undefined;
  /** This host's own folder (keys, authorized_keys, sshd_config), for fixtures that add files beside them. */
  readonly dir: string;
  /** This host's authorized_keys file (owned by the login user), e.g. to let a site key in. */
  readonly authorizedKeysPath: string;
  /** Generates a new host key and restarts sshd on the same port (SIGHUP): what a reinstalled host looks like. */
  replaceHostKey(): Promise<{ hostKeyFingerprint: string }>;
  /** Stops sshd and its sessions (their connections drop), then starts it again with the same host key and port. */
  restart(): Promise<void>;
  /** sshd's stderr (LogLevel INFO) so tests can assert what the server saw. */
  logs(): string;
  /** Stops this host only, e.g. to simulate a host going offline. */
  stop(): Promise<void>;
}

export interface SshdFleet {
  readonly hosts: readonly SshdHost[];
  readonly user: string;
  readonly dir: string;
  stop(): Promise<void>;
}

const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/opt/homebrew/sbin/sshd'];
const LOG_CAP = 256 * 1024;

type RunResult = { code: number; stdout: string; stderr: string };

function run(file: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new Error(`${file} ${args.join(' ')} failed to run: ${err.message}`, { cause: err }));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

function findSshd(): string | undefined {
  // sshd refuses to re-exec itself unless started by absolute path.
  return [process.env.OUTPOST_TEST_SSHD, ...SSHD_CANDIDATES].find((p): p is string => !!p && path.isAbsolute(p) && existsSync(p));
}

const onPath = (cmd: string): boolean => (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, cmd)));
const isRoot = (): boolean => process.getuid?.() === 0;

/** Why a fleet cannot start here (so tests can skip on dev laptops), or undefined if it can. */
export async function sshdFleetUnavailableReason(firstAddress = 2): Promise<string | undefined> {
  if (!isRoot()) return 'needs root: sshd must run privileged to log in as the test user';
  if (!findSshd()) return `no sshd at ${SSHD_CANDIDATES.join(', ')} (apt-get install openssh-server)`;
  if (!onPath('ssh-keygen')) return 'ssh-keygen not on PATH (apt-get install openssh-client)';
  try {
    await freePort(`127.0.0.${firstAddress}`);
  } catch (err) {
    return `cannot bind 127.0.0.${firstAddress}: ${(err as Error).message}`;
  }
  return undefined;
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: address, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error(`no port on ${address}`))));
    });
  });
}

type PasswdEntry = { uid: number; gid: number; home: string; shell: string };

async function getPasswd(user: string): Promise<PasswdEntry | undefined> {
  const r = await run('getent', ['passwd', user]);
  if (r.code !== 0) return undefined;
  const f = r.stdout.trim().split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '', shell: f[6] ?? '' };
}

// Only a readable shadow entry counts: without one (no shadow NSS) there is nothing to fix.
const isLocked = (shadow: RunResult): boolean => shadow.code === 0 && /^(!|$)/.test(shadow.stdout.split(':')[1] ?? '');

const isLockContention = (r: RunResult): boolean => /cannot lock|try again later|resource temporarily/i.test(r.stderr);

// Converges the login user to: exists, shell /bin/sh, home present, password field `*`. Parallel
// test files race here, so every step is idempotent and passwd/shadow lock contention is retried.
async function ensureTestUser(user: string): Promise<PasswdEntry> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`invalid test user name ${JSON.stringify(user)}`);
  if (!isRoot()) throw new Error(`startSshdFleet: must run as root to create user '${user}' and run sshd`);
  let lastFailure = '';
  for (let attempt = 0; attempt < 40; attempt++) {
    const entry = await getPasswd(user);
    let step: RunResult | undefined;
    if (!entry) {
      step = await run('useradd', ['--create-home', '--user-group', '--shell', '/bin/sh', user]);
      if (step.code === 9) continue; // another test process created it first
    } else if (entry.shell !== '/bin/sh') {
      // A login shell that sources rc files (bash + pyenv) made parallel logins slow and deadlock.
      step = await run('usermod', ['--shell', '/bin/sh', user]);
    } else if (isLocked(await run('getent', ['shadow', user]))) {
      // useradd leaves `!` (locked); with UsePAM no, sshd refuses locked accounts even for keys.
      step = await run('usermod', ['-p', '*', user]);
    } else if (!existsSync(entry.home)) {
      await mkdir(entry.home, { recursive: true, mode: 0o755 });
      await chown(entry.home, entry.uid, entry.gid);
      continue;
    } else {
      return entry;
    }
    if (step.code === 0) continue;
    lastFailure = step.stderr.trim();
    if (!isLockContention(step)) break;
    await sleep(25 + Math.random() * 100);
  }
  throw new Error(`startSshdFleet: could not prepare test user '${user}': ${lastFailure || 'gave up'}`);
}

// Safety net: a crashed test must not leave sshd listening or keys in /tmp.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooksInstalled = false;

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  // Per-connection sshd children call setsid(), so a process-group kill would miss them.
  for (const pid of [child.pid, ...descendantsOf(child.pid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Every process below `root` (its sshd sessions, their shells and commands). */
export function descendantsOf(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return []; // not Linux: only the listener gets signalled
  }
  const kids = new Map<number, number[]>();
  for (const name of names) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // comm may contain spaces and parens; the fields after the last ')' are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  // Breadth-first: `out` doubles as the queue of pids whose children are still to be added.
  for (let i = 0, pid: number | undefined = root; pid !== undefined; pid = out[i++]) {
    out.push(...(kids.get(pid) ?? []));
  }
  return out;
}

function emergencyCleanup(): void {
  for (const child of liveChildren) killTree(child, 'SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', emergencyCleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      emergencyCleanup();
      process.kill(process.pid, sig); // our once-listener is gone, so default handling applies
    });
  }
}

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

async function stopChild(child: ChildProcess): Promise<void> {
  // A child that failed to spawn has no pid and never emits 'exit'.
  if (child.pid !== undefined && !exited(child)) {
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killTree(child, 'SIGTERM');
    const timer = setTimeout(() => killTree(child, 'SIGKILL'), 3000);
    await done.finally(() => clearTimeout(timer));
  }
  liveChildren.delete(child);
}

function probeBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port });
    let buf = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 1000);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) finish(buf.startsWith('SSH-'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

function sshdConfig(o: { address: string; port: number; hostKey: string; authKeys: string; user: string; extra: readonly string[] }): string {
  return [
    `ListenAddress ${o.address}:${o.port}`,
    `HostKey ${o.hostKey}`,
    `AuthorizedKeysFile ${o.authKeys}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin no',
    `AllowUsers ${o.user}`,
    'PidFile none',
    // authorized_keys lives under /tmp (mode 1777); StrictModes rejects any group/world-writable
    // ancestor, and this is a throwaway loopback server whose key files we create ourselves.
    'StrictModes no',
    // INFO shows "Server listening" (readiness) and "Accepted publickey" (tests assert on it).
    'LogLevel INFO',
    'Subsystem sftp internal-sftp',
    'PrintMotd no',
    'PrintLastLog no',
    // Tests open many concurrent unauthenticated connections; default 10:30:100 drops some.
    'MaxStartups 200',
    ...o.extra,
    '',
  ].join('\n');
}

async function keygen(file: string, comment: string): Promise<string> {
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen for ${file} failed: ${r.stderr.trim()}`);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

/** The host key kept in `keyDir` (made there on first use), or a fresh one in the fleet's folder. */
async function hostKeyFor(address: string, dir: string, keyDir: string | undefined): Promise<{ hostKey: string; hostPublicKey: string }> {
  const hostKey = path.join(keyDir ?? dir, 'ssh_host_ed25519_key');
  if (keyDir !== undefined) {
    await mkdir(keyDir, { recursive: true, mode: 0o700 });
    if (existsSync(hostKey) && existsSync(`${hostKey}.pub`)) return { hostKey, hostPublicKey: (await readFile(`${hostKey}.pub`, 'utf8')).trim() };
    await rm(hostKey, { force: true });
  }
  return { hostKey, hostPublicKey: await keygen(hostKey, `outpost-test-host@${address}`) };
}

async function prepareHost(fleetDir: string, address: string, owner: PasswdEntry, keyDir: string | undefined) {
  const dir = path.join(fleetDir, address);
  // 0711: sshd reads authorized_keys as the login user, who must traverse but not list.
  await mkdir(dir, { mode: 0o711 });
  await chmod(dir, 0o711);
  const clientKeyPath = path.join(dir, 'client_ed25519');
  const [{ hostKey, hostPublicKey }, clientPublicKey] = await Promise.all([hostKeyFor(address, dir, keyDir), keygen(clientKeyPath, `outpost-test-client@${address}`)]);
  const fp = await run('ssh-keygen', ['-lf', `${hostKey}.pub`]);
  const hostKeyFingerprint = fp.stdout.trim().split(/\s+/)[1] ?? '';
  if (fp.code !== 0 || !hostKeyFingerprint.startsWith('SHA256:')) {
    throw new Error(`ssh-keygen -lf ${hostKey}.pub failed: ${fp.stderr.trim() || fp.stdout}`);
  }
  const authKeys = path.join(dir, 'authorized_keys');
  await writeFile(authKeys, `${clientPublicKey}\n`, { mode: 0o644 });
  await chown(authKeys, owner.uid, owner.gid);
  return { address, dir, hostKey, authKeys, hostPublicKey, hostKeyFingerprint, clientKeyPath, clientPublicKey };
}

type Prepared = Awaited<ReturnType<typeof prepareHost>>;

async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const fp = await run('ssh-keygen', ['-lf', publicKeyFile]);
  const fingerprint = fp.stdout.trim().split(/\s+/)[1] ?? '';
  if (fp.code !== 0 || !fingerprint.startsWith('SHA256:')) throw new Error(`ssh-keygen -lf ${publicKeyFile} failed: ${fp.stderr.trim() || fp.stdout}`);
  return fingerprint;
}

interface SshdProcess {
  child: ChildProcess;
  log(): string;
  /** Why it is not serving, or null once it listens. */
  failure: string | null;
}

/** Starts sshd on a written config and waits for our own sshd's "listening" line and banner (not someone else's port). */
async function runSshd(sshd: string, configPath: string, address: string, port: number, readyTimeoutMs: number): Promise<SshdProcess> {
  const child = spawn(sshd, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  liveChildren.add(child);
  installExitHooks();
  let log = '';
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => void (log = (log + d).slice(-LOG_CAP)));
  // A test that forgets stop() should still exit (the exit hook kills sshd), not hang.
  child.unref();
  if (child.stderr instanceof net.Socket) child.stderr.unref();

  const deadline = Date.now() + readyTimeoutMs;
  let ready = false;
  while (!ready && !exited(child) && !spawnError && Date.now() < deadline) {
    ready = log.includes(`Server listening on ${address} port ${port}`) && (await probeBanner(address, port));
    if (!ready) await sleep(20);
  }
  const why = ready ? null : spawnError ? `could not spawn: ${spawnError.message}` : exited(child) ? `exited with ${child.exitCode ?? child.signalCode}` : `not ready within ${readyTimeoutMs} ms`;
  return { child, log: () => log, failure: why && `${sshd} -D -e -f sshd_config on ${address}:${port} ${why}; sshd stderr:\n${log.trim() || '(empty)'}` };
}

async function launch(p: Prepared, sshd: string, user: string, readyTimeoutMs: number, extra: readonly string[], fixedPort: number | undefined): Promise<SshdHost> {
  const configPath = path.join(p.dir, 'sshd_config');
  let failure = '';
  // The probe port is released before sshd binds it, so a parallel test may grab it: retry.
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = fixedPort ?? (await freePort(p.address));
    await writeFile(configPath, sshdConfig({ ...p, port, user, extra }), { mode: 0o600 });
    let current = await runSshd(sshd, configPath, p.address, port, readyTimeoutMs);
    if (current.failure === null) {
      return {
        address: p.address,
        port,
        user,
        hostKeyFingerprint: p.hostKeyFingerprint,
        hostPublicKey: p.hostPublicKey,
        knownHostsLine: `[${p.address}]:${port} ${p.hostPublicKey.split(/\s+/).slice(0, 2).join(' ')}`,
        clientKeyPath: p.clientKeyPath,
        clientPublicKey: p.clientPublicKey,
        get pid() {
          return current.child.pid;
        },
        dir: p.dir,
        authorizedKeysPath: p.authKeys,
        replaceHostKey: async () => {
          await rm(p.hostKey, { force: true });
          await rm(`${p.hostKey}.pub`, { force: true });
          await keygen(p.hostKey, `outpost-test-host@${p.address}`);
          const listening = `Server listening on ${p.address} port ${port}`;
          const before = current.log().split(listening).length;
          // sshd -D re-executes itself on SIGHUP, reading the new key; same pid, same port.
          process.kill(current.child.pid as number, 'SIGHUP');
          const until = Date.now() + readyTimeoutMs;
          while (current.log().split(listening).length === before && Date.now() < until) await sleep(20);
          if (current.log().split(listening).length === before) throw new Error(`sshd on ${p.address}:${port} did not restart after SIGHUP`);
          return { hostKeyFingerprint: await fingerprintOf(`${p.hostKey}.pub`) };
        },
        restart: async () => {
          await stopChild(current.child);
          const next = await runSshd(sshd, configPath, p.address, port, readyTimeoutMs);
          if (next.failure !== null) {
            await stopChild(next.child);
            throw new Error(next.failure);
          }
          current = next;
        },
        logs: () => current.log(),
        stop: () => stopChild(current.child),
      };
    }
    await stopChild(current.child);
    failure = current.failure;
    if (fixedPort !== undefined || !/Address already in use|Cannot bind any address/.test(current.log())) break;
  }
  throw new Error(failure);
}

/** A port free on every given loopback address right now (for `port`), from a seeded walk of the high range. */
export async function commonFreePort(addresses: readonly string[], seed: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const candidate = 20000 + ((seed * 7919 + i * 104729) % 30000);
    if (await portFreeOn(addresses, candidate)) return candidate;
  }
  throw new Error('no port free on all addresses');
}

/** Whether `port` is free on every given loopback address right now. */
export async function portFreeOn(addresses: readonly string[], port: number): Promise<boolean> {
  return (await Promise.all(addresses.map((a) => isFree(a, port)))).every(Boolean);
}

function isFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function startSshdFleet(opts: SshdFleetOptions): Promise<SshdFleet> {
  const { count, firstAddress = 2, user = DEFAULT_TEST_USER, readyTimeoutMs = 5000, extraConfig = () => [], port, hostKeyDir } = opts;
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  if (!Number.isInteger(firstAddress) || firstAddress < 1 || firstAddress + count - 1 > 254) {
    throw new Error(`addresses 127.0.0.${firstAddress}..+${count} must stay within 127.0.0.1-254`);
  }
  const sshd = findSshd();
  if (!sshd) throw new Error(`startSshdFleet: no sshd found (${SSHD_CANDIDATES.join(', ')}); install openssh-server`);
  const owner = await ensureTestUser(user);
  // Privilege-separation dir; Debian creates it only when the ssh service starts.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'outpost-sshd-'));
  liveDirs.add(dir);
  installExitHooks();
  await chmod(dir, 0o711);
  const hosts: SshdHost[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })());
  try {
    const addresses = Array.from({ length: count }, (_, i) => `127.0.0.${firstAddress + i}`);
    const prepared = await Promise.all(addresses.map((a) => prepareHost(dir, a, owner, hostKeyDir?.(a))));
    const results = await Promise.allSettled(prepared.map((p) => launch(p, sshd, user, readyTimeoutMs, extraConfig(p.address), port)));
    for (const r of results) if (r.status === 'fulfilled') hosts.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts, user, dir, stop };
}
