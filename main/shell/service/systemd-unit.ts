import { createHash } from 'node:crypto';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { defaultDataDir } from '../../platform/store/data-dir.js';

/** `--user`: the login's own systemd (starts with the login, or at boot with linger); `--system`: the machine's, at boot. */
export type UnitScope = 'user' | 'system';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The unit of a data dir's service: `outpost.service` for the default data dir, `outpost-<8 hex>.service` (of the
 * resolved path) for any other, so that several data dirs on one machine each have their own.
 */
export function unitName(dataDir: string, defaultDir: string = defaultDataDir()): string {
  const resolved = path.resolve(dataDir);
  return resolved === path.resolve(defaultDir) ? 'outpost.service' : `outpost-${sha256(resolved).slice(0, 8)}.service`;
}

export interface UnitSpec {
  scope: UnitScope;
  /** Absolute. */
  dataDir: string;
  /** The Node that runs Outpost (process.execPath) and the `outpost` script it runs. */
  node: string;
  cliEntry: string;
  /** `--system`: the login the service runs as (the data dir's owner); none runs it as root. */
  user?: string | undefined;
  /** Outpost's settings from the installer's environment (README: the long-lived core's settings). */
  environment?: Record<string, string>;
}

/** The settings of the long-lived core a unit carries over from the environment `service install` ran in. */
export const CARRIED_SETTINGS = ['OUTPOST_ROUTER_HOST', 'OUTPOST_ROUTER_PORT', 'OUTPOST_SUPERVISE_INTERVAL_MS', 'OUTPOST_TELEMETRY_INTERVAL_MS', 'OUTPOST_ROUTER_SUPERVISE_INTERVAL_MS', 'OUTPOST_ENGINE_LOG_VERBOSITY'] as const;

const DIGEST_LINE = /^# outpost-unit-sha256: ([0-9a-f]{64})\n/;
const DATA_DIR_LINE = /^X-OutpostDataDir=(.*)$/m;

function refuseNewline(value: string, what: string): void {
  if (/[\n\r\0]/.test(value)) throw new OutpostError('INVALID_INPUT', `${what} contains a line break or NUL, which a systemd unit cannot hold`, 'choose a path without one');
}

/** Escapes systemd resolves in specifier-expanded settings (Description=, User=): `%` stands for itself as `%%`. */
const specifierSafe = (value: string): string => value.replaceAll('%', '%%');

/** One word of a path list (ReadWritePaths=): double-quoted, `\` and `"` escaped, `%` doubled; `$` is literal there. */
export function quotePathWord(value: string): string {
  refuseNewline(value, `"${value}"`);
  return `"${specifierSafe(value.replaceAll('\\', '\\\\').replaceAll('"', '\\"'))}"`;
}

/** One word of ExecStart=: as a path word, and `$` doubled, since ExecStart= also expands environment variables. */
export function quoteExecWord(value: string): string {
  return quotePathWord(value).replaceAll('$', '$$$$');
}

/** The whole unit file: a header line with the digest of everything below it, so a hand edit is recognised. */
export function renderUnit(spec: UnitSpec): string {
  const dataDir = path.resolve(spec.dataDir);
  refuseNewline(dataDir, `the data dir ${dataDir}`);
  const execStart = [spec.node, spec.cliEntry, '--data-dir', dataDir, 'service', 'run'].map(quoteExecWord).join(' ');
  const environment = Object.entries(spec.environment ?? {}).map(([name, value]) => {
    if (!/^OUTPOST_[A-Z_]+$/.test(name) || !/^[A-Za-z0-9._:/-]*$/.test(value)) {
      throw new OutpostError('INVALID_INPUT', `the setting ${name}=${value} cannot be carried into the unit`, 'settings are whole numbers or host names; fix or unset it, then install again');
    }
    return `Environment="${name}=${value}"`;
  });
  if (spec.user !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(spec.user)) {
    throw new OutpostError('INVALID_INPUT', `"${spec.user}" is not a login name systemd accepts for User=`, 'run the service as a user with a plain login name');
  }
  const body = [
    '# Written by `outpost service install`. Edited by hand, it is kept: install and uninstall leave it alone without --force.',
    '[Unit]',
    `Description=Outpost site service (${specifierSafe(dataDir)})`,
    'After=network-online.target',
    // The user manager has no network-online.target of its own to pull in.
    ...(spec.scope === 'system' ? ['Wants=network-online.target'] : []),
    `X-OutpostDataDir=${dataDir}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${execStart}`,
    'Restart=on-failure',
    'RestartSec=2',
    // Only the core gets SIGTERM on stop, and stops its router child itself; after a crash the router it leaves
    // serving is adopted by the restarted core (README: The router) instead of being killed with the cgroup.
    'KillMode=process',
    ...(spec.scope === 'system' && spec.user ? [`User=${specifierSafe(spec.user)}`] : []),
    ...environment,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    `ReadWritePaths=${quotePathWord(dataDir)}`,
    // A private /tmp would hide a data dir that lives in the shared one.
    ...(['/tmp', '/var/tmp'].some((shared) => dataDir.startsWith(`${shared}/`)) ? [] : ['PrivateTmp=yes']),
    '',
    '[Install]',
    `WantedBy=${spec.scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
  return `# outpost-unit-sha256: ${sha256(body)}\n${body}`;
}

export interface UnitFileFacts {
  /** The file is as `service install` wrote it: its recorded digest matches its body. */
  ours: boolean;
  /** The data dir it serves, as it says (null when it does not say). */
  dataDir: string | null;
}

export function readUnitFacts(text: string): UnitFileFacts {
  const digest = DIGEST_LINE.exec(text);
  const ours = digest !== null && sha256(text.slice(digest[0].length)) === digest[1];
  return { ours, dataDir: DATA_DIR_LINE.exec(text)?.[1] ?? null };
}
