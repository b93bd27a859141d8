import fs from 'node:fs';
import path from 'node:path';
import { OutpostError } from '../../../shared/errors.js';
import { errnoOf } from '../../platform/store/data-dir.js';
import { cliEntry } from '../../platform/version.js';
import { dataDirOwner } from './data-dir-owner.js';
import { installedUnit, systemctl, systemdRunning, unitDir } from './systemd.js';
import { CARRIED_SETTINGS, renderUnit, unitName, type UnitScope } from './systemd-unit.js';

export interface InstallOptions {
  dataDir: string;
  /** Default: `system` for root, `user` otherwise. */
  scope?: UnitScope | undefined;
  force: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface InstallResult {
  unit: string;
  path: string;
  scope: UnitScope;
  /** The login the service runs as. */
  user: string;
  /** systemd took it: enabled (starts at boot, or with the login) and started now. */
  enabled: boolean;
  /** Why it was not enabled (systemd not running here, systemctl refused). */
  notEnabledBecause?: string;
}

export const defaultScope = (): UnitScope => (process.getuid?.() === 0 ? 'system' : 'user');

/**
 * `outpost service install`: writes the data dir's unit and has systemd enable and start it. A unit edited by
 * hand, or one serving another data dir, is replaced only with --force. Where systemd is not running the unit is
 * still written, and the result says that nothing was enabled.
 */
export function installService(options: InstallOptions): InstallResult {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir);
  const scope = options.scope ?? defaultScope();
  const owner = dataDirOwner(dataDir);
  const me = process.getuid?.() ?? 0;
  if (scope === 'user' && owner.uid !== me) {
    const who = owner.name ?? `uid ${owner.uid}`;
    throw new OutpostError('FORBIDDEN', `the data dir ${dataDir} is ${who}'s: a --user unit would run as ${me === 0 ? 'root' : 'you'}, not as ${who}`, `install it as ${who}, or as root with --system (its unit runs as the data dir's owner)`);
  }
  const name = unitName(dataDir);
  const file = path.join(unitDir(scope, env), name);
  const existing = installedUnit(dataDir, env, scope);
  if (existing && !options.force) {
    if (!existing.ours) throw new OutpostError('CONFLICT', `the unit ${existing.path} was edited by hand (or not written by Outpost); it is not overwritten`, 'keep it, or replace it with `outpost service install --force`');
    if (existing.dataDir !== dataDir) throw new OutpostError('CONFLICT', `the unit ${existing.path} runs the service of another data dir (${existing.dataDir ?? 'unknown'})`, 'uninstall that one first, or replace it with --force');
  }
  const environment: Record<string, string> = {};
  for (const setting of CARRIED_SETTINGS) if (env[setting]) environment[setting] = env[setting];
  // A --system unit runs as the data dir's owner; as root only when root owns it.
  const runsAs = owner.name ?? String(owner.uid);
  const text = renderUnit({ scope, dataDir, node: process.execPath, cliEntry: cliEntry(), user: scope === 'system' && owner.uid !== 0 ? runsAs : undefined, environment });
  // systemd refuses to start a unit whose ReadWritePaths= does not exist: the data dir is made now, for its owner.
  try {
    makeDataDirFor(dataDir, owner);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, text, { mode: 0o644 });
    fs.renameSync(temp, file);
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    throw new OutpostError('FORBIDDEN', `cannot write ${file} or make the data dir ${dataDir} (${code})`, scope === 'system' ? 'a --system unit is installed as root (sudo)' : 'check the permissions of both');
  }

  const result = { unit: name, path: file, scope, user: runsAs };
  if (!systemdRunning()) return { ...result, enabled: false, notEnabledBecause: 'systemd is not running here (no /run/systemd/system)' };
  for (const args of [['daemon-reload'], ['enable', '--now', name]]) {
    const done = systemctl(scope, args);
    if (!done.ok) return { ...result, enabled: false, notEnabledBecause: done.why };
  }
  return { ...result, enabled: true };
}

function makeDataDirFor(dataDir: string, owner: { uid: number; gid: number }): void {
  const firstMade = fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (firstMade === undefined || (process.getuid?.() ?? 0) !== 0 || owner.uid === 0) return;
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    fs.chownSync(dir, owner.uid, owner.gid);
    if (dir === firstMade || dir === path.dirname(dir)) return;
  }
}

export interface UninstallResult {
  unit: string;
  /** The file removed, or null when none was installed. */
  removed: string | null;
  /** Why systemd was not told (it is not running here). */
  systemdNotTold?: string;
}

/** `outpost service uninstall`: disables and stops the unit, then removes the file, only if it is ours (or --force). */
export function uninstallService(options: { dataDir: string; scope?: UnitScope | undefined; force: boolean; env?: NodeJS.ProcessEnv }): UninstallResult {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir);
  const unit = installedUnit(dataDir, env, options.scope);
  if (!unit) return { unit: unitName(dataDir), removed: null };
  if (!unit.ours && !options.force) throw new OutpostError('CONFLICT', `the unit ${unit.path} was edited by hand (or not written by Outpost); it is not removed`, 'remove it yourself, or run `outpost service uninstall --force`');
  if (systemdRunning()) {
    const disabled = systemctl(unit.scope, ['disable', '--now', unit.name]);
    if (!disabled.ok) throw new OutpostError('UNAVAILABLE', `${disabled.why}; the unit ${unit.path} is kept`, unit.scope === 'system' ? 'a --system unit is removed as root (sudo)' : 'see `systemctl --user status` for why');
  }
  fs.rmSync(unit.path, { force: true });
  if (!systemdRunning()) return { unit: unit.name, removed: unit.path, systemdNotTold: 'systemd is not running here (no /run/systemd/system)' };
  systemctl(unit.scope, ['daemon-reload']);
  return { unit: unit.name, removed: unit.path };
}
