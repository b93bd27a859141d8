// `outpost service install|uninstall|status|stop|logs` as real processes. Units go to a temp dir
// (OUTPOST_SYSTEMD_UNIT_DIR) and are checked by systemd's own `systemd-analyze verify`; where systemd is not the
// init (this machine, CI containers) install must say so and never claim the unit was enabled.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import { startSiteService } from '../helpers/browser-mode.js';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { atTestEnd, tempDir } from '../helpers/temp.js';
import { until } from '../helpers/workers.js';
import { unitName } from '../../main/shell/service/systemd-unit.js';

const analyzer = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
if (!analyzer && (process.env.CI ?? 'false') !== 'false') throw new Error('systemd-analyze is required in CI (Debian package systemd; scripts/setup.sh installs it)');
const systemdIsInit = fs.existsSync('/run/systemd/system');
const asRoot = process.getuid?.() === 0;
const notUnderSystemd = { INVOCATION_ID: undefined, OUTPOST_SERVICE_DETACHED: undefined };

function place(t: TestContext): { dataDir: string; env: NodeJS.ProcessEnv; unitFile: string } {
  const root = tempDir(t);
  const dataDir = path.join(root, 'data');
  const units = path.join(root, 'units');
  return { dataDir, env: { OUTPOST_SYSTEMD_UNIT_DIR: units }, unitFile: path.join(units, unitName(dataDir)) };
}

/** `systemd-analyze [--user] verify <file>`: its exit status and what it said. */
function verify(t: TestContext, file: string, scope: 'user' | 'system'): { status: number | null; said: string } {
  const runtime = tempDir(t, 'outpost-xdg-runtime-');
  fs.chmodSync(runtime, 0o700);
  const result = spawnSync('systemd-analyze', [...(scope === 'user' ? ['--user'] : []), 'verify', file], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } });
  return { status: result.status, said: `${result.stdout}${result.stderr}`.trim() };
}

const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('install --user writes a unit systemd-analyze accepts, and says plainly when systemd is not there to enable it', { skip: analyzer ? false : 'systemd-analyze is not installed' }, async (t) => {
  const { dataDir, env, unitFile } = place(t);
  // A setting of the long-lived core in the installer's environment goes into the unit.
  const human = await runOutpost(['--data-dir', dataDir, 'service', 'install', '--user'], { env: { ...env, OUTPOST_ROUTER_PORT: '9123' } });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`wrote ${unitFile}`));
  if (!systemdIsInit) {
    assert.match(human.stdout, /NOT enabled or started: systemd is not running here/);
    assert.match(human.stdout, new RegExp(`outpost --data-dir ${dataDir} service run\` in the foreground`));
  }
  assert.ok(fs.statSync(dataDir).isDirectory(), 'the data dir exists for ReadWritePaths=');
  const unit = fs.readFileSync(unitFile, 'utf8');
  assert.match(unit, new RegExp(`^ExecStart="${process.execPath}" "${OUTPOST_BIN}" "--data-dir" "${dataDir}" "service" "run"$`, 'm'));
  assert.match(unit, /^Environment="OUTPOST_ROUTER_PORT=9123"$/m, 'the router port it was installed with');
  assert.match(unit, /^WantedBy=default\.target$/m);
  assert.deepEqual(verify(t, unitFile, 'user'), { status: 0, said: '' });

  const json = await runOutpost(['--data-dir', dataDir, '--json', 'service', 'install', '--user'], { env });
  assert.equal(json.code, 0, 'our own unit is rewritten without --force');
  const result = JSON.parse(json.stdout) as { unit: string; enabled: boolean; scope: string };
  assert.deepEqual([result.unit, result.scope], [path.basename(unitFile), 'user']);
  if (!systemdIsInit) assert.equal(result.enabled, false, 'never claims to have enabled it');
});

test('install --system runs as the data dir’s owner and starts at boot; systemd-analyze accepts it', { skip: !analyzer ? 'systemd-analyze is not installed' : !asRoot ? 'needs root' : false }, async (t) => {
  const { dataDir, env, unitFile } = place(t);
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.chownSync(dataDir, 65534, 65534);
  const installed = await runOutpost(['--data-dir', dataDir, 'service', 'install', '--system'], { env });
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, /runs as nobody, starts at boot/);
  const unit = fs.readFileSync(unitFile, 'utf8');
  assert.match(unit, /^User=nobody$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  const checked = verify(t, unitFile, 'system');
  assert.equal(checked.status, 0, checked.said);
  // systemd warns about the `nobody` user itself (shared by unrelated daemons); nothing else may be said.
  assert.deepEqual(
    checked.said.split('\n').filter((line) => line && !/Special user nobody configured/.test(line)),
    [],
  );
  const asUser = await runOutpost(['--data-dir', dataDir, 'service', 'install', '--user'], { env });
  assert.equal(asUser.code, 1, 'a --user unit of root would run as root on nobody’s data dir');
  assert.match(asUser.stderr, /is nobody's: a --user unit would run as root/);
});

test('a unit edited by hand is not overwritten or removed without --force', async (t) => {
  const { dataDir, env, unitFile } = place(t);
  assert.equal((await runOutpost(['--data-dir', dataDir, 'service', 'install', '--user'], { env })).code, 0);
  const edited = fs.readFileSync(unitFile, 'utf8').replace('RestartSec=2', 'RestartSec=30');
  fs.writeFileSync(unitFile, edited);

  const refused = await runOutpost(['--data-dir', dataDir, '--json', 'service', 'install', '--user'], { env });
  assert.equal(refused.code, 1);
  const error = (JSON.parse(refused.stdout) as { error: { code: string; message: string; hint: string } }).error;
  assert.equal(error.code, 'CONFLICT');
  assert.match(error.message, new RegExp(`the unit ${unitFile} was edited by hand`));
  assert.match(error.hint, /--force/);
  assert.equal(fs.readFileSync(unitFile, 'utf8'), edited, 'the edit is kept');
  const notRemoved = await runOutpost(['--data-dir', dataDir, 'service', 'uninstall'], { env });
  assert.equal(notRemoved.code, 1);
  assert.equal(fs.readFileSync(unitFile, 'utf8'), edited, 'and not removed');
  const status = JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'service', 'status'], { env })).stdout) as { unit: { installed: boolean; editedByHand: boolean } };
  assert.deepEqual([status.unit.installed, status.unit.editedByHand], [true, true]);

  const forced = await runOutpost(['--data-dir', dataDir, 'service', 'install', '--user', '--force'], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(fs.readFileSync(unitFile, 'utf8'), /^RestartSec=2$/m, 'replaced with --force');
  const removed = await runOutpost(['--data-dir', dataDir, 'service', 'uninstall'], { env });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(fs.existsSync(unitFile), false);
  assert.match((await runOutpost(['--data-dir', dataDir, 'service', 'uninstall'], { env })).stdout, /no unit .* is installed/);
});

test('service status --json tells a running service from none, and service stop stops it after a confirmation', async (t) => {
  const { dataDir, env } = place(t);
  const before = JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'service', 'status'], { env })).stdout) as Record<string, unknown>;
  assert.deepEqual([before.running, before.pid, before.unit && (before.unit as { installed: boolean }).installed], [false, null, false]);
  assert.equal(fs.existsSync(dataDir), false, 'status opens nothing');

  const service = await startSiteService(t, dataDir, { env: { ...notUnderSystemd, ...env } });
  const status = JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'service', 'status'], { env })).stdout) as Record<string, unknown>;
  assert.deepEqual([status.running, status.isService, status.pid, status.managedBy, status.port], [true, true, service.pid, 'foreground', service.port]);
  assert.equal(typeof status.uptimeSeconds, 'number');
  assert.match((await runOutpost(['--data-dir', dataDir, 'service', 'status'], { env })).stdout, new RegExp(`service: running \\(pid ${service.pid}, foreground, up \\d+m \\d+s\\) on 127\\.0\\.0\\.1:${service.port}`));

  const logs = await runOutpost(['--data-dir', dataDir, 'service', 'logs', '--lines', '3'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.ok(logs.stdout.trim().split('\n').length <= 3);
  assert.match((await runOutpost(['--data-dir', dataDir, 'service', 'logs', '--lines', '200'], { env })).stdout, /"message":"service started"/);

  const unconfirmed = await runOutpost(['--data-dir', dataDir, 'service', 'stop'], { env });
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.stderr, /needs a confirmation and there is no terminal to ask on — .*--yes/);
  assert.equal(service.process.exitCode, null, 'still running');

  const exited = new Promise<number | null>((resolve) => service.process.once('exit', (code) => resolve(code)));
  const stopped = await runOutpost(['--data-dir', dataDir, '--json', 'service', 'stop', '--yes'], { env });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(JSON.parse(stopped.stdout), { pid: service.pid, how: 'SIGTERM' });
  assert.equal(await exited, 0, 'it had exited, cleanly, by the time stop answered');
  assert.equal((JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'service', 'status'], { env })).stdout) as { running: boolean }).running, false);
  assert.match((await runOutpost(['--data-dir', dataDir, 'service', 'stop', '--yes'], { env })).stdout, /no Outpost service runs/);
});

test('service stop stops a detached service, one no terminal or parent waits on', async (t) => {
  const { dataDir, env } = place(t);
  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, 'service', 'run', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, INVOCATION_ID: '', OUTPOST_SERVICE_DETACHED: '1' },
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const pid = child.pid as number;
  atTestEnd(t, () => alive(pid) && process.kill(pid, 'SIGKILL'));
  await until('the detached service to serve', async () => {
    const status = JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'service', 'status'], { env })).stdout) as { isService: boolean; managedBy: string };
    return status.isService && status.managedBy === 'detached';
  });
  const stopped = await runOutpost(['--data-dir', dataDir, 'service', 'stop', '--yes'], { env });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`stopped the service \\(pid ${pid}, by SIGTERM\\)`));
  assert.equal(alive(pid), false);
});
