import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { CallName, CallInput, CallOutput } from '../../shared/contract/index.js';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { runOutpost } from '../helpers/cli.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

const FIRST = 230; // this file's loopback block: 127.0.0.230–232
const PROFILES = ['a100-server', 'agx-orin-64', 't4-server'];
const unavailable = await sshdFleetUnavailableReason(FIRST);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('the sampler on a simulated site of real sshd hosts', { skip: unavailable }, () => {
  let site: SimulatedSite;
  let dataDir: string;
  let core: Core;
  const call = async <K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`);
    return envelope.result as CallOutput<K>;
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outpost-telemetry-'));
    const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
    assert.equal((await outpost('keys', 'init', '--site-id', 'telemetry-test')).code, 0);
    const port = await commonFreePort(
      PROFILES.map((_, i) => `127.0.0.${FIRST + i}`),
      process.pid + FIRST,
    );
    site = await startSimulatedSite({ profiles: PROFILES, authorizedKey: readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8'), firstAddress: FIRST, port });
    const scan = await outpost('discover', site.hosts.map((h) => h.sshd.address).join(','), '--port', String(port), '--user', site.user);
    assert.equal(scan.code, 0, scan.stderr);
    process.env.OUTPOST_TELEMETRY_INTERVAL_MS = '250';
    core = openCore({ dataDir });
    await call('telemetry.settings.set', { staleAfterSeconds: 8 });
    assert.equal(core.supervise(), true);
  });
  after(async () => {
    core?.close();
    delete process.env.OUTPOST_TELEMETRY_INTERVAL_MS;
    await site?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('GPU nodes stream nvidia-smi and Jetsons tegrastats into series, each over one pinned session', async () => {
    const sources = await waitFor('GPU, Jetson and workstation series', async () => {
      const all = await call('telemetry.sources', {});
      const have = (source: string, metric: string) => all.some((s) => s.source === source && s.metric === metric && !s.stale);
      return have('gpu:gpu-a100-01/1', 'gpu.temp') && have('gpu:jetson-agx-orin/0', 'gpu.util') && have('gpu:gpu-t4-01/3', 'gpu.mem.total') && have('workstation', 'cpu.util') ? all : undefined;
    });
    const value = (source: string, metric: string) => sources.find((s) => s.source === source && s.metric === metric)?.lastValue;
    assert.equal(value('gpu:gpu-a100-01/1', 'gpu.temp'), 36, "the second A100's temperature, as the simulated nvidia-smi prints it");
    assert.equal(value('gpu:gpu-a100-01/0', 'gpu.mem.total'), 81920);
    assert.equal(value('gpu:jetson-agx-orin/0', 'gpu.util'), 63, 'GR3D_FREQ 63% from tegrastats');
    assert.equal(value('node:jetson-agx-orin', 'power'), 12.479);
    assert.equal(value('gpu:gpu-t4-01/0', 'gpu.power'), undefined, "an old driver's [Not Supported] power is no sample");
    await sleep(1500);
    const a100 = site.hosts.find((h) => h.profile === 'a100-server');
    assert.equal(a100?.sshd.logs().match(/Accepted publickey/g)?.length, 2, 'the scan and one sampler session: no exec per tick');
    const chart = await call('telemetry.series', { metric: 'gpu.mem.total', source: 'gpu:gpu-a100-01/', from: Math.floor(Date.now() / 1000) - 60, maxPoints: 60 });
    assert.equal(chart.lines.length, 2);
    assert.ok(chart.lines.every((l) => l.t.length >= 2 && l.avg.every((v) => v === 81920)));
  });

  test('a node that stops answering becomes stale series, an alert and a health warning, and the core keeps sampling', async () => {
    const t4 = site.hosts.find((h) => h.profile === 't4-server');
    await t4?.sshd.stop();
    const alert = await waitFor('the silent-node alert', async () => (await call('telemetry.alerts', {})).find((a) => a.key === 'node-silent:gpu-t4-01'));
    assert.equal(alert.severity, 'critical');
    assert.match(alert.message, /gpu-t4-01 sent no telemetry for \d+ s/);
    // Under load a healthy node may pause for a moment too: wait for the steady state rather than sample once.
    await waitFor('t4 stale while the A100 reports', async () => {
      const sources = await call('telemetry.sources', {});
      const t4Stale = sources.filter((s) => s.source.startsWith('gpu:gpu-t4-01/')).every((s) => s.stale);
      return t4Stale && sources.some((s) => s.source === 'gpu:gpu-a100-01/0' && !s.stale) ? true : undefined;
    });
    const nodes = await waitFor('the health warning', async () => (await call('telemetry.health', {})).items.find((i) => i.check === 'nodes' && i.level === 'warn'));
    assert.match(nodes.summary, /gpu-t4-01 stopped answering/);
  });
});
