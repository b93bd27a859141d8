import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RemoteNode, ScanResult } from '../../shared/domain/discovery.js';
import { callContext, openCore } from '../../main/app/core.js';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';
import { SITE_PROFILES, type MachineProfile } from '../fixtures/simulated-site/profiles.js';

const unavailable = await sshdFleetUnavailableReason(200);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

const FIRST = 200; // this file's loopback block: 127.0.0.200–208, plus .250 (silent) and .251 (not SSH)
const PWNED = `/tmp/outpost-discovery-pwned-${process.pid}`;
const FAULTS: Record<string, MachineProfile> = {
  'hangs-mid-probe': { ...(SITE_PROFILES['cpu-box'] as MachineProfile), hostname: 'slow-box', fault: 'hang-in-lscpu' },
  'garbage-shell': { ...(SITE_PROFILES['cpu-box'] as MachineProfile), hostname: 'odd-shell', fault: 'garbage-shell' },
  'truncating-shell': { ...(SITE_PROFILES['cpu-box'] as MachineProfile), hostname: 'cut-shell', fault: 'truncating-shell' },
  'hostile-names': {
    ...(SITE_PROFILES['cpu-box'] as MachineProfile),
    hostname: `gpu-$(touch ${PWNED})'"`,
    models: [
      { path: `~/models/it's "odd" $(touch ${PWNED}).gguf`, sizeBytes: 4096 },
      { path: '~/models/new\nline.gguf', sizeBytes: 8192 },
    ],
  },
  'latin1-host': { ...(SITE_PROFILES['cpu-box'] as MachineProfile), hostname: Buffer.from([0x67, 0x70, 0x75, 0x2d, 0xe9, 0xff, 0x2d, 0x30, 0x31]) },
};
const PROFILES = ['a100-server', 'agx-orin-64', 'driver-broken', 'h100-mig', 'hangs-mid-probe', 'garbage-shell', 'truncating-shell', 'hostile-names', 'latin1-host'];

describe('discovery against a simulated site of real sshd hosts', { skip: unavailable }, () => {
  let site: SimulatedSite;
  let dataDir: string;
  let port: number;
  let silent: net.Server;
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  const hostOf = (profile: string) => site.hosts.find((h) => h.profile === profile)!;
  const endpoint = (profile: string) => `${hostOf(profile).sshd.address}:${port}`;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outpost-discovery-'));
    const init = await outpost('keys', 'init', '--site-id', 'scan-test');
    assert.equal(init.code, 0, init.stderr);
    port = await commonFreePort([...PROFILES.map((_, i) => `127.0.0.${FIRST + i}`), '127.0.0.250', '127.0.0.251'], process.pid);
    site = await startSimulatedSite({ profiles: PROFILES, extraProfiles: FAULTS, authorizedKey: readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8'), firstAddress: FIRST, port });
    // Accepts TCP and never says a word: not an SSH server.
    silent = net.createServer(() => undefined).listen(port, '127.0.0.251');
  });
  after(async () => {
    silent?.close();
    await site?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a range scan inventories every profile and reports each fault per host with its reason', async () => {
    const run = await outpost('--json', 'discover', `127.0.0.192/27,127.0.0.250,127.0.0.251`, '--port', String(port), '--user', site.user, '--timeout', '2500');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; payload?: { counts: { probed: number } } } & Partial<ScanResult>);
    const result = lines.at(-1) as ScanResult;
    assert.ok(lines.filter((l) => l.event === 'discovery.scanProgress').length >= PROFILES.length, 'one JSON progress line per host at least');
    assert.equal(result.counts.total, 32);
    assert.equal(result.counts.live, PROFILES.length + 1);
    const by = (profile: string) => result.hosts.find((h) => `${h.address}:${h.port}` === endpoint(profile))!;
    for (const ok of ['a100-server', 'agx-orin-64', 'driver-broken', 'h100-mig', 'hostile-names', 'latin1-host']) assert.equal(by(ok).outcome, 'inventoried', ok);
    assert.equal(by('hangs-mid-probe').outcome, 'timeout');
    assert.match(by('hangs-mid-probe').reason ?? '', /probe did not finish within 2500 ms/);
    assert.equal(by('garbage-shell').outcome, 'probe-failed');
    assert.match(by('garbage-shell').reason ?? '', /not an Outpost probe document/);
    assert.equal(by('truncating-shell').outcome, 'probe-failed');
    assert.match(by('truncating-shell').reason ?? '', /cut short/);
    const dead = result.hosts.find((h) => h.address === '127.0.0.250')!;
    assert.equal(dead.outcome, 'unreachable');
    assert.match(dead.reason ?? '', /nothing listens on port/);
    const mute = result.hosts.find((h) => h.address === '127.0.0.251')!;
    assert.equal(mute.outcome, 'timeout');
    assert.match(mute.reason ?? '', /no SSH handshake within 2500 ms/);
    assert.equal(existsSync(PWNED), false, 'a hostile hostname or file name must never be executed');

    const nodes = JSON.parse((await outpost('--json', 'nodes')).stdout) as RemoteNode[];
    const node = (name: string) => nodes.find((n) => n.name === name)!;
    assert.deepEqual(
      node('gpu-a100-01').inventory.gpus.map((g) => g.name),
      ['NVIDIA A100-SXM4-80GB', 'NVIDIA A100-SXM4-80GB'],
    );
    assert.deepEqual(
      node('gpu-a100-01').inventory.engines.map((e) => `${e.engine} ${e.version}`),
      ['llama-server 3871 (d10d90ae)', 'rpc-server null'],
    );
    assert.equal(node('gpu-a100-01').inventory.modelFiles.length, 2);
    assert.equal(node('gpu-a100-01').hostKey?.fingerprint, hostOf('a100-server').sshd.hostKeyFingerprint, 'pinned on first use, as ssh-keygen -l prints it');
    assert.equal(node('jetson-agx-orin').inventory.jetson?.l4tRelease, 'R36.4.0');
    assert.equal(node('jetson-agx-orin').inventory.gpus[0]?.unifiedMemory, true);
    assert.equal(node('gpu-broken-01').inventory.gpuStatus, 'driver-error');
    assert.equal(node('gpu-h100-mig').inventory.gpus[0]?.migDevices.length, 4);
    const hostile = nodes.find((n) => n.address === hostOf('hostile-names').sshd.address)!;
    assert.match(hostile.name, /^[A-Za-z0-9.-]+$/);
    assert.equal(hostile.inventory.hostname, `gpu-$(touch ${PWNED})'"`);
    assert.deepEqual(hostile.inventory.modelFiles.map((f) => f.path).sort(), [`/home/${site.user}/models/it's "odd" $(touch ${PWNED}).gguf`, `/home/${site.user}/models/new\nline.gguf`].sort());
    assert.equal(nodes.find((n) => n.address === hostOf('latin1-host').sshd.address)?.inventory.hostname, 'gpu-\ufffd\ufffd-01');
    // Hosts that failed after the handshake were still pinned on first use; none of them became a node.
    assert.equal(nodes.length, 6);
  });

  test('a second scan reports what changed since the last one: a new model file, nothing else', async () => {
    const a100 = hostOf('a100-server');
    const models = path.join(a100.root, 'fs/home/outpost-test/models');
    writeFileSync(path.join(models, 'phi-3-mini-Q8_0.gguf'), 'GGUF\x03\0\0\0 new file');
    const run = await outpost('--json', 'discover', endpoint('a100-server'), '--user', site.user);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ScanResult;
    assert.deepEqual(
      result.hosts[0]?.changes.map((c) => `${c.subject} ${c.change}`),
      ['model-file added'],
    );
    assert.match(result.hosts[0]?.changes[0]?.detail ?? '', /phi-3-mini-Q8_0\.gguf/);
    const human = await outpost('nodes');
    assert.match(human.stdout, /gpu-a100-01 .*2× NVIDIA A100-SXM4-80GB 80\.0 GiB/);
  });

  test('a changed host key is refused with no command run, shown, and accepted only explicitly (journaled)', async () => {
    const a100 = hostOf('a100-server');
    const { hostKeyFingerprint } = await a100.sshd.replaceHostKey();
    const acceptedBefore = a100.sshd.logs().split('Accepted publickey').length;
    const run = await outpost('--json', 'discover', endpoint('a100-server'), '--user', site.user);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ScanResult;
    assert.equal(result.hosts[0]?.outcome, 'host-key-changed');
    assert.match(result.hosts[0]?.reason ?? '', new RegExp(`presented ssh-ed25519 ${hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.equal(a100.sshd.logs().split('Accepted publickey').length, acceptedBefore, 'the client never authenticated to the changed host');
    const node = (JSON.parse((await outpost('--json', 'nodes')).stdout) as RemoteNode[]).find((n) => n.name === 'gpu-a100-01')!;
    assert.equal(node.hostKey?.offered?.fingerprint, hostKeyFingerprint);
    assert.match((await outpost('nodes')).stdout, /CHANGED/);

    const accept = await outpost('hostkey', 'accept', 'gpu-a100-01');
    assert.equal(accept.code, 0, accept.stderr);
    assert.match(accept.stdout, new RegExp(`now pinned to ssh-ed25519 ${hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));
    assert.match((await outpost('journal')).stdout, /discovery\.acceptHostKey\s+ok/);
    const again = JSON.parse((await outpost('--json', 'discover', endpoint('a100-server'), '--user', site.user)).stdout.trim().split('\n').at(-1)!) as ScanResult;
    assert.equal(again.hosts[0]?.outcome, 'inventoried');
    // Nothing left to accept now.
    const twice = await outpost('hostkey', 'accept', 'gpu-a100-01');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /has not presented a different host key/);
  });

  test('wrong user or wrong key: auth failure reported per host, other hosts kept', async () => {
    const otherKey = path.join(dataDir, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const wrongKey = JSON.parse((await outpost('--json', 'discover', endpoint('agx-orin-64'), '--user', site.user, '--key', otherKey)).stdout.trim().split('\n').at(-1)!) as ScanResult;
    assert.equal(wrongKey.hosts[0]?.outcome, 'auth-failed');
    assert.match(wrongKey.hosts[0]?.reason ?? '', /refused user "outpost-test"/);
    const wrongUser = JSON.parse((await outpost('--json', 'discover', `${endpoint('agx-orin-64')},${endpoint('driver-broken')}`, '--user', 'nobody-here')).stdout.trim().split('\n').at(-1)!) as ScanResult;
    assert.deepEqual(
      wrongUser.hosts.map((h) => h.outcome),
      ['auth-failed', 'auth-failed'],
    );
    const nodes = JSON.parse((await outpost('--json', 'nodes')).stdout) as RemoteNode[];
    assert.equal(nodes.find((n) => n.name === 'jetson-agx-orin')?.inventory.jetson?.model, 'NVIDIA Jetson AGX Orin Developer Kit', 'earlier inventory kept');
  });

  test('bad input: malformed targets, a wide range, an unknown node, an unreadable key — one clear line each', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['discover', '10.0.0.0/33', '--user', 'u'], 1, /target "10\.0\.0\.0\/33" has prefix \/33/],
      [['discover', '10.0.0.0/8', '--user', 'u'], 1, /wider than a \/16 — split it/],
      [['discover', 'host:99999', '--user', 'u'], 1, /port 99999, outside 1–65535/],
      [['discover', '', '--user', 'u'], 1, /no targets given/],
      [['discover', '127.0.0.1', '--user', 'u', '--timeout', 'soon'], 2, /expected a whole number/],
      [['discover', '127.0.0.1', '--user', 'u', '--key', '/nonexistent/key'], 1, /cannot read the SSH key \/nonexistent\/key/],
      [['hostkey', 'accept', 'no-such-node'], 1, /there is no node or pinned host named "no-such-node" — see `outpost nodes`/],
    ];
    for (const [args, code, pattern] of cases) {
      const run = await outpost(...args);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, pattern, args.join(' '));
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  test('cancelling through discovery.cancelScan stops the scan; the host in flight writes nothing', async () => {
    const core = openCore({ dataDir });
    try {
      const scanId = 'cancel-test-1';
      const progress: string[] = [];
      core.events.subscribe((m) => {
        if (m.name !== 'discovery.scanProgress') return;
        progress.push(JSON.stringify(m.payload));
        void core.dispatcher.invoke('discovery.cancelScan', { scanId }, callContext('ui'));
      });
      // Concurrency 1: the fast Jetson first, then the host that hangs mid-probe, then one never started.
      const envelope = await core.dispatcher.invoke('discovery.scan', { targets: `${endpoint('agx-orin-64')},${endpoint('hangs-mid-probe')},${endpoint('h100-mig')}`, user: site.user, concurrency: 1, timeoutMs: 60_000, scanId }, callContext('ui'));
      assert.ok(envelope.ok, JSON.stringify(envelope));
      const result = envelope.result as ScanResult;
      assert.equal(result.outcome, 'cancelled');
      assert.deepEqual(
        result.hosts.map((h) => h.outcome),
        ['inventoried'],
      );
      assert.equal(progress.length, 1);
      const again = await core.dispatcher.invoke('discovery.cancelScan', { scanId }, callContext('ui'));
      assert.deepEqual(again.ok && again.result, { cancelled: false });
    } finally {
      core.close();
    }
  });

  test('Ctrl-C on `outpost discover` cancels at once and says so', async () => {
    const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, 'discover', endpoint('hangs-mid-probe'), '--user', site.user, '--timeout', '60000'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(Date.now() - started < 10_000, 'the scan stops promptly instead of waiting out its 60 s timeout');
    assert.equal(code, 1);
    assert.match(stderr, /the scan was cancelled/);
  });
});
