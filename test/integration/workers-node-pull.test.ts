import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, type WorkersBench } from '../helpers/workers.js';

const FIRST = 244; // this file's loopback block: 127.0.0.244–245
const SEED = 41;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

describe('a plan made from a GGUF file on a node that does not hold the head: the head pulls it from the holder', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let headNode: string;
  let holderNode: string;
  const modelPath = (): string => `/home/${bench.site.user}/models/tiny-on-holder.gguf`;
  const model = tinyGguf(SEED);
  const port = 18990 + (process.pid % 9);
  // The simulated hosts share one login home: the head's content-addressed copy is this real path.
  const contentPath = (): string => `/home/${bench.site.user}/.outpost/models/${createHash('sha256').update(model).digest('hex')}.gguf`;
  const removeCopies = (): void => {
    for (const file of [contentPath(), `${contentPath()}.partial`, `${contentPath()}.outpost-sha256`]) rmSync(file, { force: true });
  };

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: SEED, profiles: { 'np-a': cpuWorkerProfile('node-pull-a'), 'np-c': cpuWorkerProfile('node-pull-c') } });
    const [head, holder] = bench.site.hosts as [(typeof bench.site.hosts)[0], (typeof bench.site.hosts)[0]];
    const onHolder = path.join(holder.root, 'fs', modelPath());
    mkdirSync(path.dirname(onHolder), { recursive: true });
    writeFileSync(onHolder, model);
    execFileSync('chown', ['-R', `${bench.site.user}:`, path.dirname(onHolder)]);
    removeCopies();
    await bench.call('discovery.scan', { targets: holder.sshd.address, user: bench.site.user, port: holder.sshd.port, concurrency: 1, timeoutMs: 10_000 });
    const nodes = await bench.call('discovery.nodes', {});
    headNode = nodes.find((n) => n.address === head.sshd.address)?.name as string;
    holderNode = nodes.find((n) => n.address === holder.sshd.address)?.name as string;
    assert.ok(headNode && holderNode && headNode !== holderNode);
  });
  after(async () => {
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    if (bench) removeCopies();
    await bench?.close();
  });

  test("the launch pulls the file head ← holder, checks it, the deployment answers, and the holder's authorized_keys keeps no copy key", async () => {
    const { planId, plan } = await bench.call('planner.plan', {
      nodeModel: { node: holderNode, path: modelPath() },
      context: 2048,
      parallel: 1,
      devices: [{ gpu: 'CPU', node: headNode, memoryGB: 2, bandwidthGBs: 1 }],
      nodes: [{ name: headNode }],
    });
    assert.ok(planId && plan.feasible, plan.feasible ? '' : plan.reason);
    assert.deepEqual(
      plan.stages.map((s) => s.node),
      [headNode],
    );
    const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port });
    try {
      assert.equal(deployment.state, 'ready', deployment.detail ?? '');
      const progress = bench.events.filter((e) => e.name === 'workers.launchProgress').map((e) => e.payload as { deploymentId: string; phase: string; message: string; transfer?: { doneBytes: number; totalBytes: number } });
      const pulling = progress.filter((p) => p.deploymentId === deployment.id && p.phase === 'model' && p.message.startsWith(`pulling ${modelPath()} from ${holderNode} to ${headNode}`));
      assert.ok(pulling.length > 0, progress.map((p) => p.message).join('\n'));
      assert.deepEqual(readFileSync(contentPath()), model, "the head's copy is the holder's file, byte for byte");
      assert.equal(existsSync(`${contentPath()}.partial`), false);
      assert.equal((await bench.call('workers.prompt', { deployment: deployment.id, prompt: 'hello', maxTokens: 4 })).tokens, 4);
      const holderKeys = readFileSync(bench.site.hosts[1]!.sshd.authorizedKeysPath, 'utf8');
      assert.doesNotMatch(holderKeys, /model-pull/, 'the copy key left the holder');
    } finally {
      await bench.call('workers.stop', { deployment: deployment.id });
    }
    assert.deepEqual(taggedProcesses(deployment.id), []);
  });
});
