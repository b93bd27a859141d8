#!/usr/bin/env node
// `npm start`: Outpost's main job on its embedded default. It brings up a
// SIMULATED site (two CPU boxes that are real sshd hosts on 127.0.0.150-151,
// running the real llama.cpp), discovers it, plans a tiny model across both
// hosts, launches real workers over SSH, and serves the window in browser mode,
// which supervises the deployment. Ctrl-C stops the workers, then the site.
//
// The simulated site needs root (it starts sshd and logs in as a test user);
// without root, or with OUTPOST_DEMO_SITE=0, only the window is served.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'outpost.js');
const dataDir = process.env.OUTPOST_HOME || path.join(root, '.outpost-demo');
const port = process.env.OUTPOST_PORT ?? '0';
const wantSite = process.env.OUTPOST_DEMO_SITE !== '0' && process.getuid?.() === 0;
const say = (text) => process.stderr.write(`demo: ${text}\n`);
const outpost = (args) => spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { encoding: 'utf8' });

function fail(result) {
  process.stderr.write(result.stderr);
  process.exit(result.status ?? 1);
}

const status = outpost(['status', '--json']);
if (status.status !== 0) fail(status);
if (JSON.parse(status.stdout).site === null) {
  const init = outpost(['keys', 'init', '--site-id', 'demo-site']);
  if (init.status !== 0) fail(init);
  say('created the site identity demo-site');
}

let site = null;
if (wantSite) {
  say('starting the simulated site (the first run builds llama.cpp: about 10 minutes on 2 cores)');
  site = spawn(process.execPath, [path.join(root, 'dist', 'test', 'fixtures', 'workers-site', 'demo-site-main.js'), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise((resolve) => {
    readline.createInterface({ input: site.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    site.once('exit', () => resolve(null));
  });
  if (!ready) {
    say('the simulated site did not come up (see above); serving the window only');
    site = null;
  } else {
    say(`deployment ${ready.deployment} is serving the tiny model across ${ready.hosts.join(', ')} at ${ready.apiUrl}`);
  }
} else {
  say('not root (or OUTPOST_DEMO_SITE=0): serving the window without the simulated site');
}

const ui = spawn(process.execPath, [bin, '--data-dir', dataDir, 'ui', '--port', port], { stdio: 'inherit' });
let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  ui.kill(signal);
  // The site process stops the deployment over SSH before its sshd go away: signal it alone, not its group.
  site?.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(signal));
ui.on('exit', (code) => {
  if (!site || site.exitCode !== null) process.exit(code ?? 0);
  stop('SIGTERM');
  site.once('exit', () => process.exit(code ?? 0));
});
