import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, type WorkersBench } from '../helpers/workers.js';

const FIRST = 224; // this file's loopback block: 127.0.0.224
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

describe('a plan made from a GGUF file on a node, launched without the workstation', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let node: string;
  let onHost: string;
  const modelPath = (): string => `/home/${bench.site.user}/models/tiny-on-node.gguf`;
  const port = 18950 + (process.pid % 40);

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 37, profiles: { 'nm-a': cpuWorkerProfile('node-model-a') } });
    const host = bench.site.hosts[0]!;
    onHost = path.join(host.root, 'fs', modelPath());
    mkdirSync(path.dirname(onHost), { recursive: true });
    writeFileSync(onHost, tinyGguf(37));
    execFileSync('chown', ['-R', `${bench.site.user}:`, path.dirname(onHost)]);
    // The file appears in the node's model files at the next scan.
    await bench.call('discovery.scan', { targets: host.sshd.address, user: bench.site.user, port: host.sshd.port, concurrency: 1, timeoutMs: 10_000 });
    [node] = (await bench.nodeNames()) as [string];
  });
  after(async () => {
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    await bench?.close();
  });

  const planFromNode = async (): Promise<string> => {
    const { planId, plan } = await bench.call('planner.plan', { nodeModel: { node, path: modelPath() }, context: 2048, parallel: 1, devices: [{ gpu: 'CPU', node, memoryGB: 2, bandwidthGBs: 1 }], nodes: [{ name: node }] });
    assert.ok(planId && plan.feasible, plan.feasible ? '' : plan.reason);
    return planId;
  };

  test('the head holds the file: loaded in place, nothing copied, and it answers', async () => {
    const planId = await planFromNode();
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready');
      const progress = bench.events.filter((e) => e.name === 'workers.launchProgress').map((e) => e.payload as { deploymentId: string; phase: string; message: string });
      assert.ok(
        progress.some((p) => p.deploymentId === deployment.id && p.phase === 'model' && p.message.includes('in place')),
        'said it loads in place',
      );
      assert.ok(!progress.some((p) => p.deploymentId === deployment.id && /copying/.test(p.message)), 'nothing copied');
      const copy = `/home/${bench.site.user}/.outpost/models/${createHash('sha256').update(tinyGguf(37)).digest('hex')}.gguf`;
      assert.equal(existsSync(copy), false, 'no content-addressed copy was made');
      assert.equal((await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'hello', maxTokens: 4 })).tokens, 4);
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    assert.deepEqual(taggedProcesses(deployment.id), []);
  });

  test('the file changed since the scan and the plan: refused by name, nothing started', async () => {
    const planId = await planFromNode();
    writeFileSync(onHost, tinyGguf(38));
    const before = (await bench.call('workers.list', { all: true })).length;
    await assert.rejects(bench.call('workers.launch', { planId, user: bench.site.user, port }), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'PRECONDITION');
      assert.match(error.message, new RegExp(`preflight refused the launch — ${node}: the model file ${modelPath()} changed since it was scanned and planned \\(first-MiB digest [0-9a-f]{12}…`));
      return true;
    });
    assert.equal((await bench.call('workers.list', { all: true })).length, before, 'no deployment was recorded');
  });
});
