import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import type { WorkerSpec } from './engines/index.js';

/**
 * The POSIX sh snippets Outpost runs on a site host over SSH. Every value in
 * them goes through shellQuote: a path or template value with spaces, quotes,
 * `$(…)` or newlines stays one inert word.
 */

/** The per-deployment run dir, under the login user's home (resolved by preflight). */
export const runDirFor = (home: string, deploymentId: string): string => `${home}/.outpost/run/${deploymentId}`;
/** Content-addressed model store on a host: the same digest is never copied twice. */
export const modelPathFor = (home: string, sha256: string, extension: string): string => `${home}/.outpost/models/${sha256}${extension}`;

/** Written into each worker's environment so a pid is only ever taken for ours (pids are reused). */
export const workerTag = (deploymentId: string, worker: string): string => `OUTPOST_WORKER=${deploymentId}/${worker}`;

/**
 * Written beside the tag: which data dir's core started the worker. A later core stops only its own leftovers,
 * never the workers of another workstation (or of another test's data dir on a shared machine).
 */
export const ownerTag = (owner: string): string => `OUTPOST_OWNER=${owner}`;

const q = shellQuote;

/** Starts one worker detached from the SSH session (own session, stdin closed), and prints its pid. */
export function startScript(runDir: string, deploymentId: string, worker: WorkerSpec, owner: string): string {
  const env = [workerTag(deploymentId, worker.name), ownerTag(owner), ...Object.entries(worker.env).map(([k, v]) => `${k}=${v}`)].map(q).join(' ');
  const argv = [worker.program, ...worker.args].map(q).join(' ');
  const pidFile = q(`${runDir}/${worker.name}.pid`);
  const log = q(`${runDir}/${worker.name}.log`);
  return [
    'umask 077',
    `mkdir -p ${q(runDir)} || exit 1`,
    `cd ${q(runDir)} || exit 1`,
    ...(worker.beforeStart ? [worker.beforeStart] : []),
    `printf '%s starting %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" ${q(worker.name)} >> ${log}`,
    `setsid nohup env ${env} ${argv} >> ${log} 2>&1 < /dev/null &`,
    `echo $! > ${pidFile}`,
    'echo "pid $!"',
  ].join('\n');
}

/** The shell test "pid file names a live process of this worker". */
function aliveTest(runDir: string, deploymentId: string, name: string): string {
  const pidFile = q(`${runDir}/${name}.pid`);
  return `p=$(cat ${pidFile} 2>/dev/null); [ -n "$p" ] && [ -r /proc/$p/environ ] && tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qxF ${q(workerTag(deploymentId, name))}`;
}

/** One line per worker: `<name> alive <pid>` or `<name> dead`. */
export function statusScript(runDir: string, deploymentId: string, workers: readonly string[]): string {
  return workers.map((name) => `if ${aliveTest(runDir, deploymentId, name)}; then echo ${q(name)} alive "$p"; else echo ${q(name)} dead; fi`).join('\n');
}

export function parseStatus(stdout: string): Map<string, { alive: boolean; pid: number | null }> {
  const result = new Map<string, { alive: boolean; pid: number | null }>();
  for (const line of stdout.split('\n')) {
    const [name, state, pid] = line.trim().split(/\s+/);
    if (!name || (state !== 'alive' && state !== 'dead')) continue;
    result.set(name, { alive: state === 'alive', pid: pid && /^\d+$/.test(pid) ? Number(pid) : null });
  }
  return result;
}

/** TERM each live worker's process group, wait up to `graceSeconds`, then KILL what is left; prints what it did. */
export function stopScript(runDir: string, deploymentId: string, workers: readonly string[], graceSeconds: number): string {
  const lines: string[] = ['left=""'];
  for (const name of workers) {
    // Each worker leads its own process group (setsid): signalling -pid reaches its children too. (dash's kill takes no `--`.)
    lines.push(`if ${aliveTest(runDir, deploymentId, name)}; then kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; left="$left $p"; echo ${q(name)} term "$p"; fi`);
  }
  lines.push(
    `i=0; while [ $i -lt ${Math.round(graceSeconds * 10)} ]; do alive=""; for p in $left; do kill -0 -"$p" 2>/dev/null && alive="$alive $p"; done; [ -z "$alive" ] && break; sleep 0.1; i=$((i+1)); done`,
    'for p in $left; do if kill -0 -"$p" 2>/dev/null; then kill -KILL -"$p" 2>/dev/null; echo killed "$p"; fi; done',
    ...workers.map((name) => `rm -f ${q(`${runDir}/${name}.pid`)}`),
  );
  return lines.join('\n');
}

/** One line per process of this owner: `worker <pid> <deployment>/<worker>` (read from its environment). */
export function ownedWorkersScript(owner: string): string {
  return [
    `for f in $(grep -lzxF ${q(ownerTag(owner))} /proc/[0-9]*/environ 2>/dev/null); do`,
    `  p=\${f#/proc/}; p=\${p%/environ}`,
    `  t=$(tr '\\0' '\\n' < "$f" 2>/dev/null | sed -n 's/^OUTPOST_WORKER=//p' | head -n 1)`,
    '  [ -n "$t" ] && echo worker "$p" "$t"',
    'done',
    'true',
  ].join('\n');
}

export interface OwnedWorker {
  pid: number;
  deploymentId: string;
  worker: string;
}

export function parseOwnedWorkers(stdout: string): OwnedWorker[] {
  const found: OwnedWorker[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^worker (\d+) ([^/\s]+)\/(\S+)$/.exec(line.trim());
    if (match) found.push({ pid: Number(match[1]), deploymentId: match[2] as string, worker: match[3] as string });
  }
  return found;
}

/**
 * TERM the given processes (each checked again by its tag: a pid may have been reused since it was read), wait
 * up to `graceSeconds`, then KILL what is left; prints `term <pid>` per process signalled.
 */
export function stopPidsScript(processes: readonly OwnedWorker[], graceSeconds: number): string {
  const lines: string[] = ['left=""'];
  for (const { pid, deploymentId, worker } of processes) {
    const p = String(Math.floor(pid));
    lines.push(`if tr '\\0' '\\n' < /proc/${p}/environ 2>/dev/null | grep -qxF ${q(workerTag(deploymentId, worker))}; then kill -TERM ${p} 2>/dev/null && left="$left ${p}" && echo term ${p}; fi`);
  }
  lines.push(
    `i=0; while [ $i -lt ${Math.round(graceSeconds * 10)} ]; do alive=""; for p in $left; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done; [ -z "$alive" ] && break; sleep 0.1; i=$((i+1)); done`,
    'for p in $left; do kill -KILL "$p" 2>/dev/null && echo killed "$p"; done',
    'true',
  );
  return lines.join('\n');
}

export function tailScript(runDir: string, worker: string, lines: number): string {
  return `tail -n ${Math.max(1, Math.floor(lines))} ${q(`${runDir}/${worker}.log`)} 2>/dev/null || true`;
}

/** Lines appended since byte `offset` (for `logs --follow`); prints the new size first. */
export function followScript(runDir: string, worker: string, offset: number): string {
  const log = q(`${runDir}/${worker}.log`);
  return `s=$(wc -c < ${log} 2>/dev/null || echo 0); echo "$s"; [ "$s" -gt ${Math.max(0, Math.floor(offset))} ] && tail -c +${Math.max(0, Math.floor(offset)) + 1} ${log} | head -c $((s - ${Math.max(0, Math.floor(offset))}))`;
}

/**
 * The authorized_keys file of the login user, under $OUTPOST_PROBE_ROOT like every host file Outpost reads
 * (the product's one test seam, README: Discovery); on a real host the variable is unset and this is ~/.ssh.
 */
const AUTHORIZED_KEYS = '"$OUTPOST_PROBE_ROOT$HOME/.ssh/authorized_keys"';

/** What marks a deployment's tunnel key lines in authorized_keys, so a stop (or an orphan sweep) removes them all. */
export const deploymentKeyMarker = (deploymentId: string): string => `outpost-deployment:${deploymentId}`;

/** The line that lets one deployment's tunnel key open one port on this host, and nothing else. */
export function tunnelKeyLine(publicKey: string, port: number, marker: string): string {
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(publicKey.trim().split(' ').slice(0, 2).join(' '))) throw new Error('not an ed25519 public key');
  const [type, blob] = publicKey.trim().split(' ');
  return `restrict,port-forwarding,permitopen="127.0.0.1:${port}" ${type} ${blob} ${marker}`;
}

export function installKeyScript(line: string): string {
  return [`f=${AUTHORIZED_KEYS}`, 'mkdir -p "$(dirname "$f")" && chmod 700 "$(dirname "$f")" 2>/dev/null', `printf '%s\\n' ${q(line)} >> "$f"`].join('\n');
}

/** Removes every line carrying the marker; rewrites in place (the file's folder may not be writable). */
export function removeKeysScript(marker: string): string {
  return [`f=${AUTHORIZED_KEYS}`, '[ -f "$f" ] || exit 0', 't=$(mktemp) || exit 1', `grep -vF -- ${q(marker)} "$f" > "$t"`, 'cat "$t" > "$f"; rm -f "$t"', `if grep -qF -- ${q(marker)} "$f"; then echo left; else echo removed; fi`].join('\n');
}

/** Writes a file from stdin, mode 0600. */
export function writeFileScript(path: string): string {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  return `umask 077; mkdir -p ${q(dir)} && cat > ${q(path)} && chmod 600 ${q(path)}`;
}

/** What OpenSSH makes of a private key file: its public half, its error, or "unverifiable" without ssh-keygen. */
export function loadKeyScript(path: string): string {
  return `command -v ssh-keygen >/dev/null 2>&1 || { echo unverifiable; exit 0; }; ssh-keygen -y -f ${q(path)} 2>&1 || true`;
}

/** Whether ssh-keygen's answer is the given public key (type and key; comments may differ). */
export function sameKey(sshKeygenOutput: string, publicKey: string): boolean {
  const fields = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(' ');
  return fields(sshKeygenOutput) === fields(publicKey) && fields(publicKey).length > 0;
}
