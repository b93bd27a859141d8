#!/usr/bin/env node
// `npm start`: Outpost's main job on its embedded default. It brings up a
// SIMULATED site (two CPU boxes that are real sshd hosts on 127.0.0.150-151,
// running the real llama.cpp), discovers it, plans a tiny model across both
// hosts, launches real workers over SSH, and runs the site service (`outpost service run`, in the foreground),
// which supervises the deployment and serves the window. The demo owns its simulated site: Ctrl-C, SIGTERM or
// SIGHUP (the terminal closed) stop the service and the workers over SSH, then the simulated hosts.
//
// A terminal's Ctrl-C reaches the whole foreground process group at once. The site fixture therefore runs in a
// process group of its own and stops only when told (or when its stdin, our pipe, closes because we are gone):
// its workers are stopped over SSH while its hosts' sshd still run.
//
// The simulated site needs root (it starts sshd and logs in as a test user);
// without root, or with OUTPOST_DEMO_SITE=0, only the window is served.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'outpost.js');
const dataDir = process.env.OUTPOST_HOME || path.join(root, '.outpost-demo');
// Without OUTPOST_PORT the service keeps the port (and token) it had on the last run, when that port is free.
const portOption = process.env.OUTPOST_PORT ? ['--port', process.env.OUTPOST_PORT] : [];
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

// A closed terminal (SIGHUP) makes writes to it fail: that must not cut the stop short.
process.stderr.on('error', () => undefined);
process.stdout.on('error', () => undefined);

// Ctrl-C may reach us twice (from the terminal and from npm, which passes it on): the first one decides.
let askStop;
const stopAsked = new Promise((resolve) => (askStop = resolve));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => askStop(`got ${signal}`));

const ended = (child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

/** Builds (or finds) llama.cpp in a process group of its own, stopped with us; false when it failed or was stopped. */
async function engineReady() {
  say('finding or building the engine (the first run builds llama.cpp: about 10 minutes on 2 cores)');
  const build = spawn('bash', [path.join(root, 'scripts', 'install-engine.sh')], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const outcome = await Promise.race([ended(build), stopAsked.then(() => 'stop')]);
  if (outcome !== 'stop') return outcome === 0;
  process.kill(-build.pid, 'SIGTERM');
  await ended(build);
  return false;
}

let site = null;
let siteEnded = Promise.resolve();
if (wantSite) {
  if (!(await engineReady())) process.exit(1);
  say('starting the simulated site');
  site = spawn(process.execPath, [path.join(root, 'dist', 'test', 'fixtures', 'workers-site', 'demo-site-main.js'), '--data-dir', dataDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  site.stdin.on('error', () => undefined);
  siteEnded = ended(site);
  const ready = await Promise.race([new Promise((resolve) => readline.createInterface({ input: site.stdout }).once('line', (line) => resolve(JSON.parse(line)))), siteEnded.then(() => null), stopAsked.then(() => 'stop')]);
  if (ready === 'stop') {
    // Stopped while it was coming up: it cancels its launch (rolling back what was started) and stops its hosts.
    site.kill('SIGTERM');
    await siteEnded;
    process.exit(130);
  }
  if (!ready) {
    say('the simulated site did not come up (see above); serving the window only');
    site = null;
  } else {
    say(`deployment ${ready.deployment} is serving the tiny model across ${ready.hosts.join(', ')} at ${ready.apiUrl}`);
  }
} else {
  say('not root (or OUTPOST_DEMO_SITE=0): serving the window without the simulated site');
}

const service = spawn(process.execPath, [bin, '--data-dir', dataDir, 'service', 'run', ...portOption], { stdio: 'inherit' });
const serviceEnded = ended(service);
const why = await Promise.race([stopAsked, serviceEnded.then(() => 'the site service stopped'), ...(site ? [siteEnded.then(() => 'the simulated site stopped')] : [])]);
// The service and the site stop side by side: the site stops its workers over SSH before its hosts go.
say(`${why}: stopping the site service${site ? ', the workers over SSH, then the simulated site' : ''}`);
service.kill('SIGTERM');
site?.kill('SIGTERM');
const [code] = await Promise.all([serviceEnded, siteEnded]);
process.exit(typeof code === 'number' ? code : 0);
