import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { simulatePull } from '../../../test/helpers/node-pull-fakes.js';
import { fakeWorkers } from '../../../test/helpers/workers-fakes.js';
import { pullKeyLine } from './node-pull.js';

const PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5';
const onC = { holder: 'c', path: '/data/big.gguf', sizeBytes: 2e8, headerDigest: 'cd'.repeat(32), sha256: 'f0'.repeat(32) };
const planFile = () => ({ node: 'c', path: onC.path, sizeBytes: onC.sizeBytes, headerDigest: onC.headerDigest });
const CONTENT_PATH = `/home/a/.outpost/models/${onC.sha256}.gguf`;

/** A site of a, b and c whose plan puts its stages on a and b, made from c's file. */
function pullingSite(chunk = 5e7) {
  const w = fakeWorkers({ models: { fileOfPlan: planFile, local: async () => assert.fail('no local model') } }, ['a', 'b', 'c']);
  return { w, sim: simulatePull(w.site, onC, chunk) };
}

test("the copy key's forced command streams that one file from the offset the client names, and nothing else", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "outpost pull 'it'-"));
  try {
    const file = path.join(dir, "model's.gguf");
    writeFileSync(file, '0123456789');
    const line = pullKeyLine(PUBLIC, file, 'outpost-deployment:dep-1:model-pull');
    assert.match(line, /^restrict,command="[^"]+" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 outpost-deployment:dep-1:model-pull$/);
    const command = /command="([^"]+)"/.exec(line)?.[1] as string;
    const run = (offset?: string) => spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', env: { ...process.env, SSH_ORIGINAL_COMMAND: offset } });
    assert.equal(run().stdout, '0123456789');
    assert.equal(run('4').stdout, '456789');
    for (const hostile of ['4; id', '$(id)', '-1', '07', 'cat /etc/passwd']) {
      const result = run(hostile);
      assert.equal(result.status, 2, hostile);
      assert.equal(result.stdout, '', hostile);
    }
    assert.throws(() => pullKeyLine(PUBLIC, '/m/a"b.gguf', 'm'), /double quote, backslash or line break/);
    assert.throws(() => pullKeyLine(PUBLIC, '/m/a\nb.gguf', 'm'), /double quote, backslash or line break/);
    assert.throws(() => pullKeyLine('ssh-rsa AAAA', '/m', 'm'), /not an ed25519 public key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a plan made from a file on a node without the head: the head pulls it with a per-copy key that leaves the holder afterwards', async () => {
  const { w, sim } = pullingSite();
  let keyDuringPull: string[] = [];
  w.site.beforeCommand = (node, what) => {
    if (what === 'pull status' && !keyDuringPull.length) keyDuringPull = [...(w.site.authorizedKeys.get('c') ?? [])];
  };
  const deployment = await w.launch();
  assert.equal(deployment.state, 'ready');
  assert.equal(keyDuringPull.length, 1);
  assert.match((keyDuringPull[0] as string).replace(/'\\''/g, "'"), /restrict,command="o=\$\{SSH_ORIGINAL_COMMAND:-0\};.*exec tail -c \+\$\(\(o\+1\)\) -- '\/data\/big\.gguf'" ssh-ed25519 \S+ outpost-deployment:dep-test1:model-pull/);
  assert.equal(w.site.authorizedKeys.has('c'), false, 'the copy key is gone from the holder');
  assert.deepEqual(sim.offsets, [0]);
  assert.equal(sim.placedAt, CONTENT_PATH);
  assert.deepEqual(w.site.since(0, /^c: /), ['c: home', 'c: model in place', 'c: model digest', 'c: install key', 'c: host key', 'c: remove keys']);
  assert.ok(w.site.commands.includes(`a: write /home/a/.outpost/run/dep-test1/pull_key`));
  const moving = w.progress.filter((p) => p.phase === 'model' && p.transfer);
  assert.ok(moving.length >= 3, `${moving.length} readings`);
  assert.deepEqual(moving.at(-1)?.transfer && { done: moving.at(-1)?.transfer?.doneBytes, total: moving.at(-1)?.transfer?.totalBytes }, { done: 2e8, total: 2e8 });
  assert.ok(moving.every((p) => /pulling \/data\/big\.gguf from c to a/.test(p.message)));
  assert.ok((moving[1]?.transfer?.bytesPerSecond ?? 0) > 0);
  const head = w.repository.spec(deployment.id)?.workers.find((x) => x.name === 'head');
  assert.ok(head?.args.includes(CONTENT_PATH), head?.args.join(' '));
  // A second launch finds the file in the head's store: nothing pulled, no key installed.
  await w.service.stop(deployment.id);
  const from = w.site.commands.length;
  await w.launch('dep-test2');
  assert.deepEqual(w.site.since(from, /install key|start model-pull/), ['b: install key']);
  assert.ok(w.progress.some((p) => /a already holds \/data\/big\.gguf of c/.test(p.message)));
});

test("a holder's file changed since the scan is refused by name before anything is installed or started", async () => {
  const { w } = pullingSite();
  w.site.files.set('c:/data/big.gguf', { sizeBytes: 2e8, sha256: 'ee'.repeat(32) });
  await assert.rejects(w.launch(), /preflight refused the launch — c: the model file \/data\/big\.gguf changed since it was scanned and planned/);
  assert.deepEqual(w.site.since(0, /install key|start|model digest/), []);
});

test('an unreachable holder, or a head without ssh, is refused by name', async () => {
  const unreachable = pullingSite();
  unreachable.w.site.unreachable.add('c');
  await assert.rejects(unreachable.w.launch(), /preflight refused the launch — c: c cannot be reached over SSH/);
  const sshless = pullingSite();
  sshless.w.site.missing.add('a/ssh');
  await assert.rejects(sshless.w.launch(), /preflight refused the launch — a: ssh is not on the login PATH/);
  assert.deepEqual(sshless.w.site.since(0, /install key|start/), []);
});

test('a pulled copy that fails the digest is recopied once; twice is a failure, and the key leaves the holder', async () => {
  const once = pullingSite();
  once.sim.damaged.push({ headerDigest: onC.headerDigest, sha256: '00'.repeat(32) });
  assert.equal((await once.w.launch()).state, 'ready');
  assert.deepEqual(once.sim.offsets, [0, 0]);
  assert.ok(once.w.progress.some((p) => /is not c's file .*; removed, copying afresh/.test(p.message)));

  const twice = pullingSite();
  twice.sim.damaged.push({ headerDigest: 'ee'.repeat(32), sha256: '00'.repeat(32) }, { headerDigest: onC.headerDigest, sha256: '00'.repeat(32) });
  await assert.rejects(twice.w.launch(), /is not c's file \(200000000 bytes, sha256 f0f0f0f0f0f0…\) again after a fresh copy; it was removed/);
  assert.equal(twice.w.site.authorizedKeys.has('c'), false);
  assert.equal(twice.sim.placedAt, null);
});

test('a cancelled pull stops the pull and removes the key; a dropped link fails naming it; the next launch resumes from the partial file', async () => {
  const { w, sim } = pullingSite();
  const controller = new AbortController();
  let reads = 0;
  w.site.beforeCommand = (_node, what) => {
    if (what === 'pull status' && ++reads === 2) controller.abort();
  };
  await assert.rejects(w.launch('dep-test1', controller.signal));
  assert.equal(w.site.authorizedKeys.has('c'), false);
  assert.equal(w.site.alive('model-pull'), false, 'the pull was stopped');
  assert.ok(sim.partialBytes > 0 && sim.partialBytes < 2e8, `${sim.partialBytes}`);
  const kept = sim.partialBytes;

  w.site.beforeCommand = () => undefined;
  sim.failNext = 255;
  await assert.rejects(w.launch('dep-test2'), /the pull of \/data\/big\.gguf from c to a failed \(ssh exit 255\)/);
  assert.equal(w.site.authorizedKeys.has('c'), false);

  assert.equal((await w.launch('dep-test3')).state, 'ready');
  assert.deepEqual(sim.offsets, [0, kept, kept]);
  assert.ok(w.progress.some((p) => /resuming after the/.test(p.message) && p.deploymentId === 'dep-test3'));
});
