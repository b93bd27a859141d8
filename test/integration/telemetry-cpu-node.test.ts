import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';
import type { RemoteShell } from '../../main/platform/ssh/index.js';
import { openDatabase } from '../../main/platform/store/index.js';
import { Sampler, openTelemetry } from '../../main/telemetry/index.js';
import type { Deployment } from '../../shared/domain/workers.js';
import { siteFactsWith } from '../helpers/telemetry.js';
import { tempDir } from '../helpers/temp.js';

/** A node's session whose followed commands run in this machine's real shell: /proc and the POSIX tools the stream uses are real. */
function localShell(commands: string[]): RemoteShell {
  const follow: RemoteShell['follow'] = (command, onLine, onEnd) => {
    commands.push(command);
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: child.stdout }).on('line', onLine);
    child.on('exit', (code, signal) => onEnd(`exited ${code ?? signal}`));
    return Promise.resolve({ close: () => child.kill() });
  };
  return {
    hostKey: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:local' },
    exec: () => Promise.reject(new Error('not used')),
    follow,
    close: () => undefined,
  };
}

test('a CPU-only node serving a deployment streams its CPU and memory; one serving nothing is not followed', async (t) => {
  const db = openDatabase(path.join(tempDir(t), 'outpost.db'));
  t.after(() => db.close());
  const serving = { id: 'd1', model: 'tiny', state: 'ready', workers: [{ name: 'rpc-0', node: 'cpu-box-01', state: 'running', restarts: 0 }] } as unknown as Deployment;
  const facts = {
    ...siteFactsWith([
      { name: 'cpu-box-01', gpus: 0 },
      { name: 'cpu-box-02', gpus: 0 },
    ]),
    liveDeployments: () => [serving],
  };
  const telemetry = openTelemetry(db, () => new Date(), facts);
  const opened: string[] = [];
  const commands: string[] = [];
  const sampler = new Sampler({
    store: telemetry.store,
    facts,
    workstation: () => Promise.resolve({ cpuUtil: 1, memUsedMiB: 1, memTotalMiB: 2 }),
    remote: {
      open: (node) => {
        opened.push(node);
        return Promise.resolve(localShell(commands));
      },
    },
    router: () => null,
    now: () => new Date(),
    events: { tick: () => undefined, alert: () => undefined },
    log: () => undefined,
    intervalMs: 1000,
  });
  t.after(() => sampler.stop());
  for (let i = 0; i < 5; i++) {
    await sampler.tick();
    await sleep(800);
  }
  assert.deepEqual(opened, ['cpu-box-01']);
  assert.match(commands[0] ?? '', /\/proc\/stat/);
  const sources = telemetry.service.sources().filter((s) => s.source === 'node:cpu-box-01');
  const value = (metric: string) => sources.find((s) => s.metric === metric)?.lastValue;
  assert.ok((value('mem.total') ?? 0) > 0, 'memory total read from /proc/meminfo');
  assert.ok((value('mem.used') ?? -1) >= 0);
  const cpu = value('cpu.util');
  assert.ok(cpu !== undefined && cpu !== null && cpu >= 0 && cpu <= 100, `CPU utilisation between two /proc/stat lines: ${cpu}`);
});
