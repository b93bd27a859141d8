import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// What the .deb installs besides the app (electron-builder.yml, packaging/linux/): the `outpost` CLI wrapper that
// /usr/bin/outpost links to, the maintainer scripts, and the site service's systemd template unit.

const LINUX = path.join(REPO_ROOT, 'packaging', 'linux');
const UNIT = fs.readFileSync(path.join(LINUX, 'outpost@.service'), 'utf8');

/** `systemd-analyze verify` on a copy of `unit` as outpost@<instance>.service; its complaints about that file. */
function verifyUnit(dir: string, unit: string): { status: number | null; complaints: string[] } {
  fs.writeFileSync(path.join(dir, 'outpost@.service'), unit);
  const run = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'outpost@root.service')], { encoding: 'utf8' });
  assert.ok(!run.error, `systemd-analyze is needed (Debian's systemd package; scripts/setup.sh installs it): ${run.error?.message}`);
  // verify reports unknown keys and bad values as warnings with exit code 0, and also speaks of other units.
  const complaints = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.includes('outpost@'));
  return { status: run.status, complaints };
}

// verify needs ExecStart's program to exist: /usr/bin/outpost only exists once the .deb is installed, so the copy
// starts this Node instead. Everything else is the shipped file.
const withExistingExecStart = (unit: string) => unit.replace('ExecStart=/usr/bin/outpost ', `ExecStart=${process.execPath} `);

test('systemd-analyze verify accepts the shipped template unit', (t) => {
  assert.match(UNIT, /^ExecStart=\/usr\/bin\/outpost service run$/m);
  const result = verifyUnit(tempDir(t), withExistingExecStart(UNIT));
  assert.deepEqual(result.complaints, []);
  assert.equal(result.status, 0);
});

test('the unit check catches a misspelt key and a missing program', (t) => {
  const dir = tempDir(t);
  assert.notDeepEqual(verifyUnit(dir, withExistingExecStart(UNIT).replace('NoNewPrivileges=', 'NoNewPrivilege=')).complaints, []);
  assert.notEqual(verifyUnit(dir, UNIT.replace('ExecStart=/usr/bin/outpost ', `ExecStart=${dir}/no-such-outpost `)).status, 0);
});

test('the unit runs as the instance user, restarts on failure, is hardened and is not enabled by the package', () => {
  for (const line of ['User=%i', 'Restart=on-failure', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'ProtectHome=read-only', 'ReadWritePaths=/home/%i', 'WantedBy=multi-user.target']) {
    assert.match(UNIT, new RegExp(`^${line.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
  const commands = fs.readFileSync(path.join(LINUX, 'after-install.sh'), 'utf8').replace(/^\s*#.*$/gm, '');
  assert.match(commands, /systemctl daemon-reload/);
  assert.doesNotMatch(commands, /systemctl\s+(enable|start|--now)/);
});

test('the wrapper and the maintainer scripts are valid POSIX shell', () => {
  for (const script of fs.readdirSync(LINUX).filter((name) => name.endsWith('.sh'))) {
    const run = spawnSync('sh', ['-n', path.join(LINUX, script)], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${script}: ${run.stderr}`);
    assert.ok(fs.readFileSync(path.join(LINUX, script), 'utf8').startsWith('#!/bin/sh\n'), script);
    assert.ok((fs.statSync(path.join(LINUX, script)).mode & 0o111) !== 0, `${script} is executable`);
  }
});

/**
 * The installed layout in miniature: <root>/opt/Outpost/{outpost, resources/bin/outpost, resources/app} and
 * <root>/usr/bin/outpost linked to the wrapper as after-install.sh links it. This Node stands in for the Electron
 * binary (`outpost`), which is what ELECTRON_RUN_AS_NODE makes of it.
 */
function installedLayout(root: string, app: string): string {
  const install = path.join(root, 'opt', 'Outpost');
  fs.mkdirSync(path.join(install, 'resources', 'bin'), { recursive: true });
  fs.symlinkSync(process.execPath, path.join(install, 'outpost'));
  fs.copyFileSync(path.join(LINUX, 'outpost-cli.sh'), path.join(install, 'resources', 'bin', 'outpost'));
  fs.chmodSync(path.join(install, 'resources', 'bin', 'outpost'), 0o755);
  fs.symlinkSync(app, path.join(install, 'resources', 'app'));
  fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
  fs.symlinkSync(path.join(install, 'resources', 'bin', 'outpost'), path.join(root, 'usr', 'bin', 'outpost'));
  return path.join(root, 'usr', 'bin', 'outpost');
}

test('/usr/bin/outpost runs the app’s CLI entry with the app’s binary as Node, passing every argument unchanged', (t) => {
  const root = tempDir(t);
  const app = path.join(root, 'fake-app');
  fs.mkdirSync(path.join(app, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(app, 'bin', 'outpost.js'), 'console.log(JSON.stringify({ entry: __filename, args: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE }));\n');
  const args = ['--data-dir', '/tmp/a dir with spaces', 'call', '{"name": "x y"}', '', "it's", '$HOME', '*'];
  const run = spawnSync(installedLayout(root, app), args, { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '' } });
  assert.equal(run.status, 0, run.stderr);
  // Node names the main module by its real path: the fake app, reached through resources/app.
  assert.deepEqual(JSON.parse(run.stdout), { entry: fs.realpathSync(path.join(app, 'bin', 'outpost.js')), args, runAsNode: '1' });
});

test('through that layout the real CLI starts and answers', (t) => {
  const root = tempDir(t);
  const run = spawnSync(installedLayout(root, REPO_ROOT), ['--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(run.stdout.trim(), version);
});
