import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callContext, openCore, type Core } from '../../main/app/core.js';
import { SshSession } from '../../main/platform/ssh/index.js';
import { readNodeGgufHeader } from '../../main/planner/index.js';
import type { RemoteNode, ScanResult } from '../../shared/domain/discovery.js';
import type { PlanResult } from '../../shared/domain/planner.js';
import { runOutpost } from '../helpers/cli.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { MODEL_SHAPES } from '../fixtures/simulated-site/model-headers.js';
import { SITE_PROFILES, type MachineProfile } from '../fixtures/simulated-site/profiles.js';
import { startSimulatedSite, type SimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

const FIRST = 140; // this file's loopback block: 127.0.0.140–142
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

const PWNED = `/tmp/outpost-planner-pwned-${process.pid}`;
// PWNED's slashes make this a path three directories deep; the probe lists files to depth 4.
const HOSTILE = `it's "odd" $(touch ${PWNED}) \`kill -9 $PPID\`\n.gguf`;
const MODELS: MachineProfile = {
  ...(SITE_PROFILES['cpu-box'] as MachineProfile),
  hostname: 'model-box',
  models: [
    { path: `~/models/${HOSTILE}`, shape: MODEL_SHAPES['llama-3.2-3b'] },
    { path: '~/models/cut.gguf', shape: MODEL_SHAPES['llama-3.1-8b'] },
    { path: '~/models/gone.gguf', shape: MODEL_SHAPES['llama-3.2-3b'] },
    { path: '~/models/notes.gguf', shape: MODEL_SHAPES['llama-3.2-3b'] },
  ],
};
const PROFILES = ['a10g-box', 'agx-orin-64', 'model-box'];

describe('planning from a GGUF file on a discovered node, its header read over pinned SSH', { skip: unavailable }, () => {
  let site: SimulatedSite;
  let dataDir: string;
  let core: Core;
  const home = (profile: string): string => path.join(site.hosts.find((h) => h.profile === profile)!.root, 'fs/home', site.user, 'models');
  const call = async <T>(name: string, input: unknown): Promise<T> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), envelope.error);
    return envelope.result as T;
  };
  const nodes = (): Promise<RemoteNode[]> => call<RemoteNode[]>('discovery.nodes', {});
  const modelPath = (file: string): string => `/home/${site.user}/models/${file}`;
  const planFrom = (node: string, file: string, extra: Record<string, unknown> = {}) => call<{ planId: string | null; plan: PlanResult }>('planner.plan', { nodeModel: { node, path: modelPath(file) }, inventoryNodes: [node], context: 4096, ...extra });
  const storedPlans = async (): Promise<number> => (await call<unknown[]>('planner.list', {})).length;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outpost-planner-node-'));
    assert.equal((await runOutpost(['--data-dir', dataDir, 'keys', 'init', '--site-id', 'node-gguf'])).code, 0);
    const port = await commonFreePort(
      PROFILES.map((_, i) => `127.0.0.${FIRST + i}`),
      process.pid + 3,
    );
    site = await startSimulatedSite({ profiles: PROFILES, extraProfiles: { 'model-box': MODELS }, authorizedKey: readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8'), firstAddress: FIRST, port });
    core = openCore({ dataDir });
    const scan = await call<ScanResult>('discovery.scan', { targets: site.hosts.map((h) => `${h.sshd.address}:${port}`).join(','), user: site.user, timeoutMs: 20_000 });
    assert.equal(scan.counts.inventoried, PROFILES.length, JSON.stringify(scan.hosts));
  });
  after(async () => {
    core?.close();
    await site?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(PWNED, { force: true });
  });

  test('a scan keeps the login it used, so the node can be reached again (nodes --json shows it)', async () => {
    const listed = JSON.parse((await runOutpost(['--data-dir', dataDir, '--json', 'nodes'])).stdout) as RemoteNode[];
    assert.equal(listed.length, PROFILES.length);
    for (const node of listed) assert.deepEqual(node.login, { user: site.user, keyPath: null }, node.name);
  });

  test('the header of a node GGUF file is read in bounded windows, never the weights, and plans with its exact shape', async () => {
    const node = (await nodes()).find((n) => n.name === 'gpu-a10g-01')!;
    const listed = node.inventory.modelFiles.find((f) => f.path === modelPath('llama-3.1-8b-instruct-Q4_K_M.gguf'))!;
    assert.ok(listed.sizeBytes > 4e9, 'the simulated file has the size its tensors need');

    const session = await SshSession.open({
      address: node.address,
      port: node.port,
      user: site.user,
      privateKey: readFileSync(path.join(dataDir, 'keys/id_ed25519')),
      pin: { keyType: node.hostKey!.keyType, fingerprint: node.hostKey!.fingerprint },
      timeoutMs: 10_000,
    });
    try {
      const read = await readNodeGgufHeader(session, node.name, listed.path);
      assert.equal(read.sizeBytes, listed.sizeBytes);
      assert.equal(read.headerDigest, listed.headerDigest, 'the same digest as the probe computed');
      assert.ok(read.header.dataOffset > 2 ** 20, 'the tokenizer makes this header span more than one window');
      assert.ok(read.bytesRead < read.header.dataOffset + 16 * 2 ** 20 && read.bytesRead < 32 * 2 ** 20, `read ${read.bytesRead} bytes of a ${listed.sizeBytes}-byte file`);
    } finally {
      session.close();
    }

    const before = await storedPlans();
    const { planId, plan } = await planFrom('gpu-a10g-01', 'llama-3.1-8b-instruct-Q4_K_M.gguf');
    assert.ok(plan.feasible && planId, plan.feasible ? '' : plan.reason);
    assert.equal(plan.model.source, 'gguf');
    assert.equal(plan.model.name, 'Llama 3.1 8B Instruct');
    assert.equal(plan.model.layers, 32);
    assert.equal(plan.model.quant, 'Q4_K_M');
    assert.deepEqual(plan.model.nodeFile, { node: 'gpu-a10g-01', path: listed.path, sizeBytes: listed.sizeBytes, headerDigest: listed.headerDigest });
    assert.equal(plan.stages[0]?.node, 'gpu-a10g-01');
    const stored = await call<{ plan: PlanResult }>('planner.get', { id: planId });
    assert.deepEqual(stored.plan.model.nodeFile, plan.model.nodeFile, 'the stored plan records node:path and digest');
    assert.equal(await storedPlans(), before + 1);

    // The head holds the file, so the launch loads it in place: past the file (unchanged since the plan) to preflight,
    // which refuses this simulated box for its missing engine, by name, nothing started.
    const launch = await runOutpost(['--data-dir', dataDir, 'launch', planId, '--user', site.user]);
    assert.equal(launch.code, 1, launch.stderr);
    assert.match(launch.stderr, /preflight refused the launch — gpu-a10g-01: llama-server is not on the login PATH/);
    assert.doesNotMatch(launch.stderr, /model file|a file on a node/);
  });

  test('the CLI plans from a node file named node:/path, and asks for exactly one model', async () => {
    const file = modelPath('mistral-7b-instruct-v0.3-Q5_K_M.gguf');
    const run = await runOutpost(['--data-dir', dataDir, '--json', 'plan', '--node-file', `gpu-a10g-01:${file}`, '--nodes', 'gpu-a10g-01', '--no-save']);
    assert.equal(run.code, 0, run.stderr);
    const { plan } = JSON.parse(run.stdout) as { plan: PlanResult };
    assert.equal(plan.model.quant, 'Q5_K_M');
    assert.equal(plan.model.nodeFile?.path, file);
    const both = await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Llama-3.1-8B', '--node-file', `gpu-a10g-01:${file}`, '--nodes', 'gpu-a10g-01']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /name the model once/);
    const malformed = await runOutpost(['--data-dir', dataDir, 'plan', '--node-file', 'no-path-here', '--nodes', 'gpu-a10g-01']);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /<node>:<absolute path>/);
  });

  test('a path with quotes, $(…), backticks and a newline is read as a name, never executed', async () => {
    const { plan } = await planFrom('model-box', HOSTILE, { save: false });
    assert.ok(plan.feasible, plan.feasible ? '' : plan.reason);
    assert.equal(plan.model.layers, 28);
    assert.equal(plan.model.nodeFile?.path, modelPath(HOSTILE));
    assert.equal(existsSync(PWNED), false, 'nothing in the path ran');
  });

  test('each fault is a specific error and stores no plan', async () => {
    const before = await storedPlans();
    const refused = async (attempt: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
      await assert.rejects(attempt, (error: Error & { code?: string }) => {
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        return true;
      });
    };
    rmSync(path.join(home('model-box'), 'gone.gguf'));
    await refused(planFrom('model-box', 'gone.gguf'), 'NOT_FOUND', /model-box:\/home\/.*\/gone\.gguf is gone: the file is no longer on the node/);
    writeFileSync(path.join(home('model-box'), 'notes.gguf'), 'PK\x03\x04 a zip archive, not a model');
    await refused(planFrom('model-box', 'notes.gguf'), 'INVALID_INPUT', /notes\.gguf: Not a GGUF file: the magic bytes are not "GGUF"/);
    truncateSync(path.join(home('model-box'), 'cut.gguf'), 3 * 2 ** 20);
    await refused(planFrom('model-box', 'cut.gguf'), 'INVALID_INPUT', /cut\.gguf: GGUF file is truncated: tensor .* ends at byte \d+, the file has 3145728/);
    await refused(planFrom('model-box', 'never-scanned.gguf'), 'NOT_FOUND', /model-box has no GGUF file ".*never-scanned\.gguf" in its last scan/);
    await refused(planFrom('no-such-node', 'x.gguf'), 'NOT_FOUND', /there is no node named "no-such-node"/);
    assert.equal(await storedPlans(), before);
  });

  test('a node whose host key changed is refused before any login, and the new key waits to be accepted', async () => {
    const orin = site.hosts.find((h) => h.profile === 'agx-orin-64')!;
    const { hostKeyFingerprint } = await orin.sshd.replaceHostKey();
    const logins = orin.sshd.logs().split('Accepted publickey').length;
    await assert.rejects(planFrom('jetson-agx-orin', 'llama-3.2-3b-instruct-Q4_K_M.gguf'), (error: Error & { code?: string; hint?: string }) => {
      assert.equal(error.code, 'CONFLICT');
      assert.match(error.message, /jetson-agx-orin's host key changed: .*nothing was run on it/);
      assert.match(error.hint ?? '', /outpost hostkey accept jetson-agx-orin/);
      return true;
    });
    assert.equal(orin.sshd.logs().split('Accepted publickey').length, logins, 'no credential was offered to the changed host');
    const node = (await nodes()).find((n) => n.name === 'jetson-agx-orin')!;
    assert.equal(node.hostKey?.offered?.fingerprint, hostKeyFingerprint);
    // Refused from the stored state now, without even connecting.
    await assert.rejects(planFrom('jetson-agx-orin', 'llama-3.2-3b-instruct-Q4_K_M.gguf'), /presented a host key .* different from its pin/);
  });
});
