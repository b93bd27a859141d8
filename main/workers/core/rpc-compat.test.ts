import assert from 'node:assert/strict';
import test from 'node:test';
import { fakeWorkers } from '../../../test/helpers/workers-fakes.js';
import type { LlamaCppFacts } from './preflight.js';
import { rpcCompatibility } from './rpc-compat.js';

const facts = (build: string | null, protocol: string | null): LlamaCppFacts => ({ build, protocol, cache: false });
const head = (f: LlamaCppFacts | undefined) => ({ node: 'a', what: 'the head', facts: f });
const member = (f: LlamaCppFacts | undefined, node = 'b') => ({ node, what: "stage 1's rpc-server", facts: f });
const BUILD_1 = '0.4.0-dev (build 1, commit 80fb11a)';
const BUILD_9 = '0.5.0 (build 9, commit 1234abc)';

test('the same RPC protocol passes; another major or minor is refused naming both sides, node, build and protocol', () => {
  assert.deepEqual(rpcCompatibility(head(facts(BUILD_1, '6.0.0')), [member(facts(BUILD_9, '6.0.3'))]), { problems: [], unchecked: [] });
  for (const other of ['5.0.0', '6.1.0']) {
    const { problems } = rpcCompatibility(head(facts(BUILD_1, '6.0.0')), [member(facts(BUILD_9, other))]);
    assert.deepEqual(problems, [
      {
        node: 'b',
        reason: `stage 1's rpc-server on b (build ${BUILD_9}, RPC protocol ${other}) does not speak the RPC protocol of the head on a (build ${BUILD_1}, RPC protocol 6.0.0); install the same llama.cpp build on both`,
      },
    ]);
  }
});

test('without a protocol on both sides the builds are compared by build number and commit, whatever the backend', () => {
  const cuda = '0.4.0-dev (build 1, commit 80fb11a) cuda';
  assert.deepEqual(rpcCompatibility(head(facts(BUILD_1, null)), [member(facts(cuda, '6.0.0'))]).problems, []);
  const { problems } = rpcCompatibility(head(facts(BUILD_1, null)), [member(facts(BUILD_9, '6.0.0'))]);
  assert.match(problems[0]?.reason ?? '', /stage 1's rpc-server on b \(build 0\.5\.0 \(build 9, commit 1234abc\), RPC protocol 6\.0\.0\) is another llama\.cpp build than the head on a \(build 0\.4\.0-dev \(build 1, commit 80fb11a\), RPC protocol unknown\)/);
});

test('nothing readable on one side is left unchecked and said, not refused', () => {
  assert.deepEqual(rpcCompatibility(head(facts(BUILD_1, null)), [member(facts(null, '6.0.0')), member(undefined, 'c')]), {
    problems: [],
    unchecked: ["stage 1's rpc-server on b against the head on a", "stage 1's rpc-server on c against the head on a"],
  });
});

test('a launch whose head and rpc-server speak different RPC protocols is refused at preflight, nothing copied or started', async () => {
  const w = fakeWorkers();
  w.site.llamaCpp.set('a', [`llamacpp llama-server build ${BUILD_1}`, 'llamacpp llama-server proto 6.0.0']);
  w.site.llamaCpp.set('b', ['llamacpp rpc-server proto 3.0.0', `llamacpp rpc-server build ${BUILD_9}`]);
  await assert.rejects(w.launch(), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'PRECONDITION');
    assert.match(
      error.message,
      /preflight refused the launch — b: stage 1's rpc-server on b \(build 0\.5\.0 \(build 9, commit 1234abc\), RPC protocol 3\.0\.0\) does not speak the RPC protocol of the head on a \(build 0\.4\.0-dev \(build 1, commit 80fb11a\), RPC protocol 6\.0\.0\)/,
    );
    return true;
  });
  assert.deepEqual(w.site.since(0, /start|upload|install key/), []);
});

test("an rpc-server with a cache runs with -c into its host's lasting cache folder, stamped before it starts and sealed once the head is ready", async () => {
  const w = fakeWorkers();
  w.site.llamaCpp.set('a', [`llamacpp llama-server build ${BUILD_1}`, 'llamacpp llama-server proto 6.0.0']);
  w.site.llamaCpp.set('b', ['llamacpp rpc-server proto 6.0.0', 'llamacpp rpc-server cache yes']);
  await w.launch();
  const rpc = w.repository.spec('dep-test1')?.workers.find((x) => x.name === 'rpc-1');
  assert.ok(rpc?.args.includes('-c'));
  assert.equal(rpc?.env.LLAMA_CACHE, '/home/b/.outpost/rpc-cache');
  assert.match(rpc?.beforeStart ?? '', /find '\/home\/b\/\.outpost\/rpc-cache\/rpc' -type f -newer '\/home\/b\/\.outpost\/rpc-cache\/loading' -delete/);
  assert.ok(w.site.since(0).indexOf('b: rm -f') > w.site.since(0).indexOf('a: start head'), 'the stamp is removed after the head is ready');
  const head = w.repository.spec('dep-test1')?.workers.find((x) => x.name === 'head');
  assert.equal(head?.beforeStart, undefined);
});

test('an rpc-server without a cache (an older build) runs as before', async () => {
  const w = fakeWorkers();
  await w.launch();
  const rpc = w.repository.spec('dep-test1')?.workers.find((x) => x.name === 'rpc-1');
  assert.equal(rpc?.args.includes('-c'), false);
  assert.equal(rpc?.env.LLAMA_CACHE, undefined);
  assert.ok(w.progress.some((p) => /the RPC protocol could not be compared .* for stage 1's rpc-server on b against the head on a/.test(p.message)));
});
