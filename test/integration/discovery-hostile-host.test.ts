import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RemoteNode } from '../../shared/domain/discovery.js';
import { runOutpost, type CliResult } from '../helpers/cli.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';
import { SITE_PROFILES, type MachineProfile } from '../fixtures/simulated-site/profiles.js';

const ADDRESS = 233; // this file's loopback address: 127.0.0.233
const unavailable = await sshdFleetUnavailableReason(ADDRESS);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

const ESCAPES = '\x1b]0;pwned\x07\x1b[2J';
const a100 = SITE_PROFILES['a100-server'] as MachineProfile;
const nvidia = a100.nvidia as Extract<MachineProfile['nvidia'], { gpus: unknown }>;
/** A host whose hostname sets the window title and clears the screen, and whose figures no hardware has. */
const HOSTILE: MachineProfile = {
  ...a100,
  hostname: `gpu-${ESCAPES}`,
  memAvailableKiB: 97656250000000000000000, // 1e26 bytes
  nvidia: {
    ...nvidia,
    gpus: [{ ...nvidia.gpus[0]!, memoryTotalMiB: '1e400' as unknown as number, utilization: '200' }, nvidia.gpus[1]!],
  },
  models: [{ path: `~/models/title${ESCAPES}.gguf`, sizeBytes: 4096 }],
};

/** Bytes a terminal would obey. */
const obeyed = (run: CliResult): boolean => /[\x07\x1b\x9b]/.test(run.stdout + run.stderr); // eslint-disable-line no-control-regex -- finding them is the point

describe('a hostile host, scanned and shown by the real CLI', { skip: unavailable }, () => {
  let site: SimulatedSite;
  let dataDir: string;
  let port: number;
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outpost-hostile-host-'));
    const init = await outpost('keys', 'init', '--site-id', 'hostile-test');
    assert.equal(init.code, 0, init.stderr);
    port = await commonFreePort([`127.0.0.${ADDRESS}`], process.pid + ADDRESS);
    site = await startSimulatedSite({ profiles: ['hostile'], extraProfiles: { hostile: HOSTILE }, authorizedKey: readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8'), firstAddress: ADDRESS, port });
  });
  after(async () => {
    await site?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('discover, nodes and a plan error print no escape sequence; the inventory keeps every readable field and says why the rest is not', async () => {
    const scan = await outpost('discover', `127.0.0.${ADDRESS}`, '--port', String(port), '--user', site.user);
    assert.equal(scan.code, 0, scan.stderr);
    assert.match(scan.stdout, /first seen as gpu-\]0;pwned\[2J/);
    assert.equal(obeyed(scan), false, `discover printed terminal codes: ${JSON.stringify(scan.stdout)}`);

    const json = await outpost('--json', 'nodes');
    const [node] = JSON.parse(json.stdout) as RemoteNode[];
    assert.ok(node);
    assert.equal(node.inventory.hostname, 'gpu-]0;pwned[2J');
    assert.equal(node.inventory.memory.totalBytes, a100.memTotalKiB * 1024, 'the rest of the host is kept');
    assert.equal(node.inventory.memory.availableBytes, null);
    assert.deepEqual(
      node.inventory.gpus.map((g) => [g.memoryTotalMiB, g.utilizationPct]),
      [
        [null, null],
        [81920, 0],
      ],
    );
    assert.deepEqual(
      node.inventory.modelFiles.map((f) => f.path),
      [`/home/${site.user}/models/title${ESCAPES}.gguf`],
      'a path is kept byte for byte: it is what a launch opens',
    );

    const nodes = await outpost('nodes');
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /GPU 0 memory\.total: "1e400" is outside/);
    assert.match(nodes.stdout, /GPU 0 utilization\.gpu: "200" is outside 0–100 %/);
    assert.match(nodes.stdout, /MemAvailable: "9\.765625e\+22" is outside/);
    assert.equal(obeyed(nodes), false);

    const plan = await outpost('plan', '--gpus', 'T4', '--node-file', `${node.name}:/home/${site.user}/models/other${ESCAPES}.gguf`);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /has no GGUF file/);
    assert.equal(obeyed(plan), false, `plan printed terminal codes: ${JSON.stringify(plan.stderr)}`);
  });
});
