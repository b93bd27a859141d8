import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readUnitFacts, unitName, type UnitFileFacts, type UnitScope } from './systemd-unit.js';

/**
 * Where units go: `--user` the login's `${XDG_CONFIG_HOME:-~/.config}/systemd/user`, `--system` /etc/systemd/system.
 * OUTPOST_SYSTEMD_UNIT_DIR puts both elsewhere (tests; a distribution's own unit dir).
 */
export function unitDir(scope: UnitScope, env: NodeJS.ProcessEnv = process.env): string {
  if (env.OUTPOST_SYSTEMD_UNIT_DIR) return path.resolve(env.OUTPOST_SYSTEMD_UNIT_DIR);
  if (scope === 'system') return '/etc/systemd/system';
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'systemd', 'user');
}

/** systemd is the init here (sd_booted()'s test); false in most containers and CI machines. */
export const systemdRunning = (): boolean => fs.existsSync('/run/systemd/system');

export interface InstalledUnit extends UnitFileFacts {
  name: string;
  path: string;
  scope: UnitScope;
}

/** The data dir's unit where `service install` puts it (the system's first, or only `only`'s), or null when there is none. */
export function installedUnit(dataDir: string, env: NodeJS.ProcessEnv = process.env, only?: UnitScope): InstalledUnit | null {
  const name = unitName(dataDir);
  for (const scope of only ? [only] : (['system', 'user'] as const)) {
    const file = path.join(unitDir(scope, env), name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // One directory may hold both scopes (OUTPOST_SYSTEMD_UNIT_DIR): then the unit's install target says which it is.
    const shared = unitDir('system', env) === unitDir('user', env);
    const written = shared ? (/^WantedBy=multi-user\.target$/m.test(text) ? 'system' : 'user') : scope;
    return { name, path: file, scope: written, ...readUnitFacts(text) };
  }
  return null;
}

export type SystemctlResult = { ok: true } | { ok: false; why: string };

/** `systemctl [--user] …`; a failure says why in systemctl's own first line (or that it is not installed). */
export function systemctl(scope: UnitScope, args: string[]): SystemctlResult {
  const result = spawnSync('systemctl', [...(scope === 'user' ? ['--user'] : []), ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) return { ok: false, why: (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemctl is not installed' : result.error.message };
  if (result.status === 0) return { ok: true };
  const said = `${result.stderr}\n${result.stdout}`.trim().split('\n')[0];
  return { ok: false, why: `systemctl ${args.join(' ')} failed${said ? `: ${said}` : ` (exit ${result.status})`}` };
}
