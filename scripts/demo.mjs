#!/usr/bin/env node
// `npm start`: Outpost's main job on its embedded default — the window in
// browser mode on a demo data dir, with a site identity created on first run.
import { spawnSync, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'outpost.js');
const dataDir = process.env.OUTPOST_HOME || path.join(root, '.outpost-demo');
const run = (args) => spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8' });

const status = run(['status', '--json']);
if (status.status !== 0) {
  process.stderr.write(status.stderr);
  process.exit(status.status ?? 1);
}
if (JSON.parse(status.stdout).site === null) {
  const init = run(['keys', 'init', '--site-id', 'demo-site']);
  process.stdout.write(init.stdout);
  if (init.status !== 0) {
    process.stderr.write(init.stderr);
    process.exit(init.status ?? 1);
  }
}
const port = process.env.OUTPOST_PORT ?? '0';
const ui = spawn(process.execPath, [bin, '--data-dir', dataDir, 'ui', '--port', port], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => ui.kill(signal));
ui.on('exit', (code) => process.exit(code ?? 0));
