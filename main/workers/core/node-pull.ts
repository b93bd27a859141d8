import { OutpostError } from '../../../shared/errors.js';
import { shellQuote } from '../../platform/ssh/core/shell-quote.js';
import type { WorkerSpec } from './engines/index.js';
import type { CopyProgress } from './model-copy.js';
import type { NodeModelFile } from './node-model.js';
import type { Clock, RemoteHosts } from './ports.js';
import { parsePreflight, preflightScript } from './preflight.js';
import { installKeyScript, modelPathFor, removeKeysScript, startScript, stopScript, writeFileScript } from './remote-scripts.js';
import { TransferMeter } from './transfer-meter.js';

const q = shellQuote;

/** The pull on the head runs as a tagged worker of the deployment: a Stop, a cancel or an orphan sweep ends it. */
export const PULL_WORKER = 'model-pull';
const PULL_KEY_FILE = 'pull_key';
const PULL_KNOWN_HOSTS_FILE = 'pull_known_hosts';
const POLL_MS = 500;
const DIGEST_TIMEOUT_MS = 3_600_000;
/** A pull whose result fails the digest is thrown away and made once more before the launch gives up. */
const ATTEMPTS = 2;
const HEADER_BYTES = 1_048_576;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/**
 * The line that lets one copy's key read one file on the holder, and nothing else: `restrict` (no shell, no
 * forwarding, no pty) and a forced command that streams the file from the byte offset the client names (digits
 * only; anything else is refused), so an interrupted pull resumes. The path sits single-quoted inside the
 * option's double quotes; a path with a double quote, a backslash or a line break is refused rather than escaped.
 */
export function pullKeyLine(publicKey: string, path: string, marker: string): string {
  const [type, blob] = publicKey.trim().split(' ');
  if (type !== 'ssh-ed25519' || !blob || !/^[A-Za-z0-9+/=]+$/.test(blob)) throw new Error('not an ed25519 public key');
  if (/["\\\r\n]/.test(path))
    throw new OutpostError('PRECONDITION', `the model file ${JSON.stringify(path)} has a double quote, backslash or line break in its path, which a restricted key's command cannot name safely`, 'rename the file on its node, scan and plan again');
  const command = `o=\${SSH_ORIGINAL_COMMAND:-0}; case $o in *[!0-9]*|0?*) echo bad offset >&2; exit 2;; esac; exec tail -c +$((o+1)) -- ${q(path)}`;
  return `restrict,command="${command}" ${type} ${blob} ${marker}`;
}

export interface PullRequest {
  deploymentId: string;
  /** This data dir's owner tag (see ownerTag): an orphan sweep finds a pull left running. */
  owner: string;
  /** The file as the scan and the plan recorded it, and its real path on the holder. */
  file: NodeModelFile;
  realPath: string;
  head: string;
  headHome: string;
  headRunDir: string;
  user: string;
  /** Marks the per-copy key line (the deployment's marker is part of it, so a sweep of the deployment takes it too). */
  keyMarker: string;
}

export interface PullPorts {
  clock: Clock;
  newKeyPair: (comment: string) => { public: string; private: string };
}

/** The worker that pulls the holder's file from byte `offset` on, appending to `partial` (the key and known_hosts beside it). */
function pullWorker(request: PullRequest, holder: { address: string; port: number }, partial: string, offset: number): WorkerSpec {
  const runDir = request.headRunDir;
  const ssh = ['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${runDir}/${PULL_KNOWN_HOSTS_FILE}`, '-o', 'GlobalKnownHostsFile=/dev/null'];
  ssh.push('-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4', '-i', `${runDir}/${PULL_KEY_FILE}`, '-p', String(holder.port));
  ssh.push('-l', request.user, '--', holder.address, String(offset));
  const line = `${ssh.map(q).join(' ')} >> ${q(partial)}; echo $? > ${q(`${runDir}/${PULL_WORKER}.exit`)}`;
  return { name: PULL_WORKER, role: 'tunnel', node: request.head, address: holder.address, stageIndex: null, program: 'sh', args: ['-c', line], env: {}, listen: null, health: { kind: 'process' } };
}

const statusOfPull = (runDir: string, partial: string): string =>
  [`printf 'size %s\\n' "$(stat -c %s ${q(partial)} 2>/dev/null || echo 0)"`, `[ -f ${q(`${runDir}/${PULL_WORKER}.exit`)} ] && printf 'exit %s\\n' "$(cat ${q(`${runDir}/${PULL_WORKER}.exit`)})"`, 'true'].join('\n');

const fieldOf = (output: string, name: string): string | undefined => new RegExp(`^${name} (\\S+)$`, 'm').exec(output)?.[1];

/** Size, first-MiB digest and full sha256 of a file on the head, in one round trip. */
const digestsScript = (path: string): string =>
  [`printf 'size %s\\n' "$(stat -c %s ${q(path)} 2>/dev/null || echo 0)"`, `printf 'head %s\\n' "$(head -c ${HEADER_BYTES} ${q(path)} | sha256sum | cut -d' ' -f1)"`, `printf 'full %s\\n' "$(sha256sum ${q(path)} | cut -d' ' -f1)"`].join('\n');

/**
 * Brings a node's model file to the head over a direct SSH connection from the head to the holder: a per-copy
 * key, installed on the holder with a forced command that can only stream that one file, and the holder's pinned
 * host key as the only one the head's ssh accepts. The copy lands as `<content path>.partial` (resumed from its
 * size by a later pull), is checked for size, first-MiB digest and full sha256 against the scan and the holder,
 * then renamed to the head's content-addressed path. The key leaves the holder in every outcome.
 */
export async function pullModel(hosts: RemoteHosts, ports: PullPorts, request: PullRequest, progress: CopyProgress, signal: AbortSignal): Promise<string> {
  const { file, head } = request;
  const holder = file.node;
  const line = (stdout: string) => stdout.trim().split(/\s+/)[0] ?? '';
  progress(`reading the digest of ${file.path} on ${holder}`, null);
  const sha256 = line(await hosts.check(holder, `sha256sum -- ${q(request.realPath)}`, 'reading the model digest', { signal, timeoutMs: DIGEST_TIMEOUT_MS }));
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new OutpostError('UNAVAILABLE', `sha256sum on ${holder} gave no digest for ${file.path}`, `check ${holder}'s coreutils, then launch again`);
  const target = modelPathFor(request.headHome, sha256, '.gguf');
  const present = parsePreflight(await hosts.check(head, preflightScript({ binaries: [], modelPath: target }), 'checking the model', { signal, timeoutMs: DIGEST_TIMEOUT_MS })).model;
  if (present?.sha256 === sha256) {
    progress(`${head} already holds ${file.path} of ${holder} (sha256 ${sha256.slice(0, 12)}…): nothing to copy`, 1);
    return target;
  }
  const partial = `${target}.partial`;
  const what = `pulling ${file.path} from ${holder} to ${head}`;
  const endpoint = hosts.endpoint(holder);
  const pair = ports.newKeyPair(request.keyMarker);
  const keyLine = pullKeyLine(pair.public, request.realPath, request.keyMarker);
  const runDir = request.headRunDir;
  progress(what, 0);
  try {
    await hosts.check(holder, installKeyScript(keyLine), 'installing the copy key', { signal });
    await hosts.check(head, writeFileScript(`${runDir}/${PULL_KEY_FILE}`), 'writing the copy key', { stdin: pair.private, signal });
    await hosts.check(head, writeFileScript(`${runDir}/${PULL_KNOWN_HOSTS_FILE}`), 'writing known_hosts', { stdin: `${await hosts.hostKeyLine(holder, signal)}\n`, signal });
    await hosts.check(head, `mkdir -p ${q(target.slice(0, target.lastIndexOf('/')))}`, 'creating the model folder', { signal });
    for (let attempt = 1; ; attempt += 1) {
      await pullOnce(hosts, ports.clock, request, endpoint, partial, what, progress, signal);
      const got = await hosts.check(head, digestsScript(partial), 'checking the pulled model', { signal, timeoutMs: DIGEST_TIMEOUT_MS });
      const size = Number(fieldOf(got, 'size'));
      if (size === file.sizeBytes && fieldOf(got, 'head') === file.headerDigest && fieldOf(got, 'full') === sha256) {
        await hosts.check(head, `mv -f ${q(partial)} ${q(target)}`, 'placing the pulled model', { signal });
        return target;
      }
      await hosts.run(head, `rm -f ${q(partial)}`);
      const found = `the copy pulled to ${head} (${size} bytes, sha256 ${(fieldOf(got, 'full') ?? 'none').slice(0, 12)}…) is not ${holder}'s file (${file.sizeBytes} bytes, sha256 ${sha256.slice(0, 12)}…)`;
      if (attempt >= ATTEMPTS) throw new OutpostError('UNAVAILABLE', `${found} again after a fresh copy; it was removed`, `check ${head}'s disk and ${holder}'s file, then launch again`);
      progress(`${found}; removed, copying afresh`, 0);
    }
  } finally {
    await cleanUp(hosts, request, progress);
  }
}

/** One run of the pull worker, from what the partial file holds, until it exits; progress every POLL_MS. */
async function pullOnce(hosts: RemoteHosts, clock: Clock, request: PullRequest, endpoint: { address: string; port: number }, partial: string, what: string, progress: CopyProgress, signal: AbortSignal): Promise<void> {
  const { head, file, headRunDir: runDir } = request;
  let offset = Number(fieldOf(await hosts.check(head, statusOfPull(runDir, partial), 'reading the partial copy', { signal }), 'size')) || 0;
  if (offset > file.sizeBytes) {
    await hosts.check(head, `rm -f ${q(partial)}`, 'removing an oversized partial copy', { signal });
    offset = 0;
  }
  if (offset > 0) progress(`${what}: resuming after the ${mb(offset)} an earlier copy left`, offset / file.sizeBytes);
  await hosts.check(head, `rm -f ${q(`${runDir}/${PULL_WORKER}.exit`)}`, 'preparing the pull', { signal });
  await hosts.check(head, startScript(runDir, request.deploymentId, pullWorker(request, endpoint, partial, offset), request.owner), 'starting the pull', { signal });
  const meter = new TransferMeter(file.sizeBytes, offset, clock.elapsedMs());
  for (;;) {
    await clock.sleep(POLL_MS, signal);
    const status = await hosts.check(head, statusOfPull(runDir, partial), 'reading the pull', { signal });
    const done = Number(fieldOf(status, 'size')) || 0;
    const reading = meter.record(clock.elapsedMs(), Math.min(done, file.sizeBytes));
    if (reading) progress(what, file.sizeBytes ? Math.min(1, done / file.sizeBytes) : 1, reading);
    const exit = fieldOf(status, 'exit');
    if (exit === undefined) continue;
    if (exit === '0') return;
    const log = await hosts.check(head, `tail -n 5 ${q(`${runDir}/${PULL_WORKER}.log`)} 2>/dev/null || true`, 'reading the pull log').catch(() => '');
    throw new OutpostError(
      'UNAVAILABLE',
      `the pull of ${file.path} from ${file.node} to ${head} failed (ssh exit ${exit})${log.trim() ? `: ${log.trim().slice(0, 400)}` : ''}`,
      `check that ${head} reaches ${file.node}'s sshd at ${endpoint.address}:${endpoint.port}, then launch again (the copy resumes)`,
    );
  }
}

/**
 * Stops a pull still running (a cancel, a failure) and takes the copy key off the holder and the head; the partial
 * stays to resume from. A holder that cannot be reached keeps the key line, marked with the deployment's marker.
 */
async function cleanUp(hosts: RemoteHosts, request: PullRequest, progress: CopyProgress): Promise<void> {
  const { head, headRunDir: runDir, file } = request;
  const options = { timeoutMs: 30_000 };
  await hosts.check(head, stopScript(runDir, request.deploymentId, [PULL_WORKER], 2), 'stopping the pull', options).catch(() => undefined);
  await hosts.check(head, `rm -f ${[PULL_KEY_FILE, PULL_KNOWN_HOSTS_FILE, `${PULL_WORKER}.exit`].map((f) => q(`${runDir}/${f}`)).join(' ')}`, 'removing the copy key file', options).catch(() => undefined);
  await hosts.check(file.node, removeKeysScript(request.keyMarker), 'removing the copy key', options).catch((error: Error) => {
    progress(`the copy key marked ${request.keyMarker} could not be removed from ${file.node} (${error.message}); remove that line from its authorized_keys`, null);
  });
}
