import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// scripts/check-native-abi.mjs, the release check that the packaged better-sqlite3 is built for Electron's ABI.
// The checkout's better-sqlite3 is built for this Node (the tests load it), which is exactly the package an npm
// `nodedir` setting produces: the check must refuse it for Electron and accept it for Node.

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'check-native-abi.mjs');
const require = createRequire(import.meta.url);
const ADDON = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
const NODE_ABI = process.versions.modules;
// Read from the Electron package itself, not from the table the script uses, so the two are checked against each other.
const ELECTRON_DIR = path.dirname(require.resolve('electron/package.json'));
const ELECTRON_VERSION = (JSON.parse(fs.readFileSync(path.join(ELECTRON_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const ELECTRON_ABI = fs.readFileSync(path.join(ELECTRON_DIR, 'abi_version'), 'utf8').trim();

const check = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

test("the checkout's better-sqlite3 is refused for Electron, naming both ABIs", () => {
  assert.notEqual(NODE_ABI, ELECTRON_ABI);
  for (const run of [check(ADDON), check(ADDON, '--electron', ELECTRON_VERSION)]) {
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`built for Node ${process.versions.node.split('.')[0]} \\(ABI ${NODE_ABI}\\), Electron ${ELECTRON_VERSION.replace(/\./g, '\\.')} needs ABI ${ELECTRON_ABI}`));
    assert.match(run.stderr, /nodedir/);
  }
});

test('and accepted for the ABI of the Node that runs the tests', () => {
  const run = check(ADDON, '--abi', NODE_ABI);
  assert.equal(run.status, 0, run.stderr);
});

test('a file that is not an ELF shared object, or no file at all, is a usage failure', (t) => {
  const notElf = path.join(tempDir(t), 'fake.node');
  fs.writeFileSync(notElf, 'not a shared object, just text that is long enough to hold an ELF header');
  const run = check(notElf, '--abi', NODE_ABI);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /fake\.node: not an ELF shared object/);
  assert.equal(check('--abi', NODE_ABI).status, 2);
});

interface Hook {
  afterPack: (context: { appOutDir: string; packager: { info: { framework: { version: string } } } }) => Promise<void>;
}

test("electron-builder's afterPack hook refuses a packed app whose addon is not Electron's ABI", async (t) => {
  const { afterPack } = (await import(pathToFileURL(SCRIPT).href)) as Hook;
  const appOutDir = tempDir(t);
  const context = { appOutDir, packager: { info: { framework: { version: ELECTRON_VERSION } } } };
  const release = path.join(appOutDir, 'resources', 'app', 'node_modules', 'better-sqlite3', 'build', 'Release');
  fs.mkdirSync(release, { recursive: true });
  await assert.rejects(afterPack(context), /no native addon found/);
  fs.copyFileSync(ADDON, path.join(release, 'better_sqlite3.node'));
  await assert.rejects(afterPack(context), new RegExp(`better_sqlite3\\.node: built for .*ABI ${NODE_ABI}.*needs ABI ${ELECTRON_ABI}`));
});
