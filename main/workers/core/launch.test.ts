import assert from 'node:assert/strict';
import test from 'node:test';
import type { Deployment } from '../../../shared/domain/workers.js';
import { fakeWorkers } from '../../../test/helpers/workers-fakes.js';

const phasesOf = (progress: ReadonlyArray<{ phase: string }>): string[] => progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);

test('a launch preflights, copies the model, installs the tunnel key, starts rpc-server, tunnel and head in order, tests and registers', async () => {
  const w = fakeWorkers();
  const deployment = await w.launch();
  assert.equal(deployment.state, 'ready');
  assert.deepEqual(phasesOf(w.progress), ['preflight', 'model', 'keys', 'start', 'ready', 'test', 'register']);
  assert.deepEqual(w.site.since(0, /start|upload|install key/), ['a: upload /home/a/.outpost/models/' + 'ab'.repeat(32) + '.gguf', 'b: install key', 'b: start rpc-1', 'a: start tunnel-1', 'a: start head']);
  assert.deepEqual(w.site.aliveNames(), ['head', 'rpc-1', 'tunnel-1']);
  assert.equal(w.routes.get('dep-test1'), deployment.apiUrl);
  assert.equal(deployment.endpoint, 'dep-test1');
  assert.equal(deployment.tokensPerSecond, 40);
  assert.deepEqual(
    deployment.workers.map((x) => [x.name, x.state]),
    [
      ['rpc-1', 'running'],
      ['tunnel-1', 'running'],
      ['head', 'running'],
    ],
  );
});

test('a model already on the head, with the right digest, is not copied again', async () => {
  const w = fakeWorkers();
  w.site.files.set(`/home/a/.outpost/models/${'ab'.repeat(32)}.gguf`, { sizeBytes: 2e8, sha256: 'ab'.repeat(32) });
  await w.launch();
  assert.deepEqual(w.site.since(0, /upload/), []);
  assert.ok(!phasesOf(w.progress).includes('model'));
});

test('preflight problems refuse the launch naming each host and its reason, and nothing is started or stored', async () => {
  const w = fakeWorkers();
  w.site.missing.add('b/rpc-server');
  w.site.memAvailable.set('a', 1e6);
  await assert.rejects(w.launch(), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'PRECONDITION');
    assert.match(error.message, /^preflight refused the launch — /);
    assert.match(error.message, /b: ggml-rpc-server or rpc-server is not on the login PATH/);
    assert.match(error.message, /a: its stages need 0\.100 GB of RAM, 0\.001 GB available/);
    return true;
  });
  assert.deepEqual(w.site.since(0, /start|upload|install key/), []);
  assert.equal(w.repository.exists('dep-test1'), false);
  assert.equal(w.routes.size, 0);
});

test('an unreachable host refuses the launch before preflight, naming it', async () => {
  const w = fakeWorkers();
  w.site.unreachable.add('b');
  await assert.rejects(w.launch(), /preflight refused the launch — b: b cannot be reached over SSH/);
  assert.deepEqual(w.site.since(0, /preflight|start/), []);
});

test('a failure at start rolls back: the started workers stopped, the tunnel key removed, the endpoint withdrawn, the deployment failed', async () => {
  const w = fakeWorkers();
  w.site.failStart.add('head');
  await assert.rejects(w.launch(), /starting head failed on a/);
  assert.deepEqual(w.site.aliveNames(), []);
  assert.deepEqual(w.site.since(0, /stop|remove keys/), ['a: stop head tunnel-1', 'b: stop rpc-1', 'b: remove keys']);
  assert.equal(w.site.authorizedKeys.has('b'), false);
  assert.deepEqual(w.withdrawn, ['dep-test1']);
  const deployment = w.service.get('dep-test1');
  assert.equal(deployment.state, 'failed');
  assert.match(deployment.detail ?? '', /^launch failed: starting head failed on a/);
  assert.ok(deployment.workers.every((x) => x.state === 'stopped' && x.pid === null));
  assert.equal(phasesOf(w.progress).at(-1), 'rollback');
});

test('a Stop during the launch cancels it and rolls back to stopped', async () => {
  const w = fakeWorkers();
  const stops: Array<Promise<Deployment>> = [];
  w.site.beforeCommand = (_node, what) => {
    if (what === 'start tunnel-1') stops.push(w.service.stop('dep-test1'));
  };
  await assert.rejects(w.launch(), (error: Error & { code?: string }) => error.code === 'CANCELLED');
  assert.equal(stops.length, 1);
  const stopped = await (stops[0] as Promise<Deployment>);
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.detail, 'stopped during launch');
  // The tunnel's start was already under way: it ran, and the rollback stopped it; the head never started.
  assert.deepEqual(w.site.since(0, /start/), ['b: start rpc-1', 'a: start tunnel-1']);
  assert.deepEqual(w.site.aliveNames(), []);
  assert.equal(w.site.authorizedKeys.has('b'), false);
  assert.equal(w.routes.size, 0);
});

test("a plan made from a node's file that it did not record by size and digest is refused before any host is reached", async () => {
  const w = fakeWorkers({ models: { fileOfPlan: () => ({ node: 'b', path: '/data/big.gguf' }), local: async () => assert.fail('no local model') } });
  await assert.rejects(w.launch(), /plan plan-test1 was made from b:\/data\/big\.gguf, which the plan did not record by size and digest/);
  assert.deepEqual(w.site.commands, []);
});

test('without --user a launch logs in as the login that inventoried the nodes; nodes inventoried as different logins are refused, naming each', async () => {
  const asked: string[] = [];
  const agreeing = fakeWorkers({ inventoriedLogin: () => 'ops', endpoints: (nodes, user) => (asked.push(user), new Map(nodes.map((n) => [n, agreeing.site.endpoint(n)]))) });
  await agreeing.launch();
  assert.deepEqual(asked, ['ops']);

  const logins: Record<string, string> = { a: 'ops', b: 'jetson' };
  const split = fakeWorkers({ inventoriedLogin: (node) => logins[node] ?? null });
  await assert.rejects(split.launch(), /inventoried as different logins \(a: ops, b: jetson\)/);
  assert.deepEqual(split.site.since(0, /start|upload|install key/), []);
});

const onHead = { node: 'a', path: '/data/big.gguf', sizeBytes: 2e8, headerDigest: 'cd'.repeat(32) };

test("a plan made from the head's own file is loaded in place: nothing copied, the head loads that path", async () => {
  const w = fakeWorkers({ models: { fileOfPlan: () => onHead, local: async () => assert.fail('no local model') } });
  w.site.files.set('a:/data/big.gguf', { sizeBytes: 2e8, sha256: 'cd'.repeat(32) });
  const deployment = await w.launch();
  assert.equal(deployment.state, 'ready');
  assert.deepEqual(w.site.since(0, /upload/), []);
  assert.ok(w.progress.some((p) => p.phase === 'model' && /loading \/data\/big\.gguf in place on a: nothing to copy/.test(p.message)));
  const head = w.repository.spec(deployment.id)?.workers.find((x) => x.name === 'head');
  assert.ok(head?.args.includes('/data/big.gguf'), head?.args.join(' '));
});

test("a node's file changed since it was scanned and planned is refused by name, nothing started", async () => {
  const w = fakeWorkers({ models: { fileOfPlan: () => onHead, local: async () => assert.fail('no local model') } });
  w.site.files.set('a:/data/big.gguf', { sizeBytes: 2e8, sha256: 'ee'.repeat(32) });
  await assert.rejects(
    w.launch(),
    /preflight refused the launch — a: the model file \/data\/big\.gguf changed since it was scanned and planned \(first-MiB digest eeeeeeeeeeee…, 200000000 bytes; the plan read cdcdcdcdcdcd…, 200000000 bytes\): scan a and plan again/,
  );
  assert.deepEqual(w.site.since(0, /start/), []);
  w.site.files.delete('a:/data/big.gguf');
  await assert.rejects(w.launch('dep-test2'), /a: the model file \/data\/big\.gguf the plan was made from is gone or unreadable/);
});

test('the launch login of a plan names each host and the login a launch uses without --user', async () => {
  const w = fakeWorkers({ inventoriedLogin: (node) => (node === 'a' ? 'ops' : null) });
  assert.deepEqual(w.service.launchLogin('plan-test1'), {
    user: 'ops',
    from: 'inventory',
    nodes: [
      { node: 'a', login: 'ops' },
      { node: 'b', login: null },
    ],
    problem: null,
  });
});

test('a plan is in use while its launch runs and while its deployment lives; a stop frees it', async () => {
  const w = fakeWorkers();
  assert.deepEqual(w.service.deploymentsUsingPlan('plan-test1'), []);
  const launching = w.launch();
  assert.deepEqual(w.service.deploymentsUsingPlan('plan-test1'), ['dep-test1'], 'before preflight it is on no record yet');
  await launching;
  assert.deepEqual(w.service.deploymentsUsingPlan('plan-test1'), ['dep-test1']);
  assert.deepEqual(w.service.deploymentsUsingPlan('plan-other'), []);
  await w.service.stop('dep-test1');
  assert.deepEqual(w.service.deploymentsUsingPlan('plan-test1'), []);
});
