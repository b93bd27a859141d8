import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerSpec } from './engines/index.js';
import { installKeyScript, loadKeyScript, ownedWorkersScript, parseOwnedWorkers, parseStatus, removeKeysScript, sameKey, startScript, statusScript, stopPidsScript, stopScript, tunnelKeyLine } from './remote-scripts.js';

const sh = (script: string, env: NodeJS.ProcessEnv = {}): string => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });

test('a worker starts detached with its tag, is seen alive by its pid file, and stops with TERM', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "outpost run 'dir' $(x)-"));
  try {
    // A worker with a child of its own: stop must take the whole process group.
    const worker: WorkerSpec = { name: 'rpc-1', role: 'rpc', node: 'n', address: 'a', stageIndex: 1, program: '/bin/sh', args: ['-c', 'sleep 30 & wait'], env: { A: "it's $(id)" }, listen: null, health: { kind: 'process' } };
    const out = sh(startScript(dir, 'dep-test', worker, 'owner-test'));
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    assert.ok(pid > 0);
    await sleep(100);
    assert.deepEqual(parseStatus(sh(statusScript(dir, 'dep-test', ['rpc-1', 'head']))).get('rpc-1'), { alive: true, pid });
    assert.equal(parseStatus(sh(statusScript(dir, 'dep-test', ['head']))).get('head')?.alive, false);
    // Another deployment's tag never matches this pid.
    assert.equal(parseStatus(sh(statusScript(dir, 'dep-other', ['rpc-1']))).get('rpc-1')?.alive, false);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes("A=it's $(id)"));
    assert.match(sh(stopScript(dir, 'dep-test', ['rpc-1'], 2)), /rpc-1 term/);
    assert.notEqual(spawnSync('kill', ['-0', String(pid)]).status, 0, 'the worker is gone');
    assert.notEqual(spawnSync('kill', ['-0', '--', `-${pid}`]).status, 0, 'and so is its child');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a core finds its own workers by their owner tag, never another owner's, and stops them by pid after checking the tag again", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-owned-'));
  const owner = `0wn${process.pid}`;
  try {
    const worker = (name: string): WorkerSpec => ({ name, role: 'rpc', node: 'n', address: 'a', stageIndex: 1, program: 'sleep', args: ['30'], env: {}, listen: null, health: { kind: 'process' } });
    const mine = Number(/pid (\d+)/.exec(sh(startScript(dir, 'dep-left', worker('rpc-1'), owner)))?.[1]);
    const theirs = Number(/pid (\d+)/.exec(sh(startScript(dir, 'dep-theirs', worker('rpc-2'), `${owner}x`)))?.[1]);
    await sleep(100);
    const found = parseOwnedWorkers(sh(ownedWorkersScript(owner)));
    assert.deepEqual(
      found.filter((f) => f.deploymentId === 'dep-left'),
      [{ pid: mine, deploymentId: 'dep-left', worker: 'rpc-1' }],
    );
    assert.ok(!found.some((f) => f.pid === theirs), "another owner's worker is not listed");
    // A pid whose tag does not match (reused since it was read) is left alone.
    const out = sh(stopPidsScript([...found, { pid: theirs, deploymentId: 'dep-left', worker: 'rpc-2' }], 2));
    assert.match(out, new RegExp(`^term ${mine}$`, 'm'));
    assert.doesNotMatch(out, new RegExp(`term ${theirs}`));
    assert.notEqual(spawnSync('kill', ['-0', String(mine)]).status, 0, 'the leftover is gone');
    assert.equal(spawnSync('kill', ['-0', String(theirs)]).status, 0, "the other owner's worker still runs");
  } finally {
    sh(stopScript(dir, 'dep-theirs', ['rpc-2'], 1));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tunnel key line opens one loopback port only, and is removed by its marker alone', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outpost-keys-'));
  try {
    const file = path.join(dir, 'home', 'ops', '.ssh', 'authorized_keys');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'ssh-ed25519 AAAAother site-key\n');
    const host = { OUTPOST_PROBE_ROOT: dir, HOME: '/home/ops' };
    const line = tunnelKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlob', 50100, 'outpost-deployment:dep-x');
    assert.equal(line, 'restrict,port-forwarding,permitopen="127.0.0.1:50100",command="cat >/dev/null" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlob outpost-deployment:dep-x');
    sh(installKeyScript(line), host);
    assert.equal(readFileSync(file, 'utf8'), `ssh-ed25519 AAAAother site-key\n${line}\n`);
    assert.equal(sh(removeKeysScript('outpost-deployment:dep-x'), host).trim(), 'removed');
    assert.equal(readFileSync(file, 'utf8'), 'ssh-ed25519 AAAAother site-key\n');
    assert.throws(() => tunnelKeyLine('ssh-rsa AAAA x\ncommand="sh"', 1, 'm'), /not an ed25519/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the head checks that OpenSSH loads the tunnel key it was given, and a truncated key is caught', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "outpost-key-check-it's $(x) "));
  try {
    const key = path.join(dir, 'tunnel_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'outpost-dep-x', '-f', key]);
    const publicKey = readFileSync(`${key}.pub`, 'utf8');
    assert.equal(sameKey(sh(loadKeyScript(key)), publicKey), true);
    writeFileSync(key, readFileSync(key, 'utf8').slice(0, 200), { mode: 0o600 });
    const refused = sh(loadKeyScript(key));
    assert.equal(sameKey(refused, publicKey), false, refused);
    assert.equal(sameKey('', ''), false, 'nothing is not a match');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
