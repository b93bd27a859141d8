import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import test from 'node:test';
import { engineBinDir } from '../../../test/helpers/engine.js';
import type { StagePlacement } from './engines/index.js';
import { allocatePorts, parsePreflight, preflightProblems, preflightScript, type HostFacts } from './preflight.js';

const facts = (text: string): HostFacts => parsePreflight(text);
const stage = (index: number, node: string, gpu = 'CPU'): StagePlacement => ({ index, node, address: node, sshPort: 22, gpu, gpuOrdinal: 0, firstLayer: index, lastLayer: index, layerCount: 1, holdsOutput: false });

test('preflight output is read line by line; unknown or malformed lines are ignored', () => {
  const f = facts(['bin llama-server /opt/llama bin/x', 'bin rpc-server missing', 'ver llama-server version: 1 (abc)', 'memavail 1048576000', 'gpufree 0 2048', 'listen 1F90', 'listen zz', 'model 376000 ' + 'a'.repeat(64), 'garbage'].join('\n'));
  assert.equal(f.binaries['llama-server'], '/opt/llama bin/x');
  assert.equal(f.binaries['rpc-server'], null);
  assert.equal(f.versions['llama-server'], 'version: 1 (abc)');
  assert.equal(f.memAvailableBytes, 1048576000);
  assert.equal(f.gpuFreeMiB.get(0), 2048);
  assert.deepEqual([...f.listening], [8080]);
  assert.deepEqual(f.model, { sizeBytes: 376000, sha256: 'a'.repeat(64) });
});

test('preflight names the host and the reason: missing binary, too little memory, API port taken', () => {
  const problems = preflightProblems({
    stages: [stage(0, 'a'), stage(1, 'b', 'T4')],
    memoryByStage: new Map([
      [0, 4e9],
      [1, 3e9],
    ]),
    needs: [
      { node: 'a', binary: 'llama-server' },
      { node: 'b', binary: 'rpc-server' },
    ],
    facts: new Map([
      ['a', facts('bin llama-server /x\nmemavail 1000000000\nlisten 1FF5')],
      ['b', facts('bin rpc-server missing\ngpufree 0 1024')],
    ]),
    apiPort: 8181,
  });
  assert.deepEqual(problems, [
    { node: 'b', reason: 'ggml-rpc-server or rpc-server is not on the login PATH' },
    { node: 'b', reason: 'stage 1 needs 3.0 GB on GPU 0, 1.1 GB free' },
    { node: 'a', reason: 'its stages need 4.0 GB of RAM, 1.0 GB available' },
    { node: 'a', reason: 'port 8181 is already in use there (choose another with --port)' },
  ]);
});

test('ports are free on their node and distinct across the deployment', () => {
  const ports = allocatePorts(
    [
      { key: 'rpc-1', node: 'b' },
      { key: 'tunnel-1', node: 'a' },
      { key: 'rpc-2', node: 'a' },
    ],
    new Map([
      ['a', facts('listen C351')],
      ['b', facts('listen C350')],
    ]),
    [50002],
    50000,
  );
  assert.deepEqual(ports, { 'rpc-1': 50001, 'tunnel-1': 50003, 'rpc-2': 50004 });
});

test("the real llama.cpp tells preflight its build, its RPC protocol and its cache, each half read from the install's other binary", () => {
  const bin = engineBinDir();
  const script = preflightScript({ binaries: ['llama-server', 'rpc-server'], modelPath: null });
  const started = Date.now();
  const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: os.tmpdir() } });
  const f = parsePreflight(out);
  const build = /^version: (.+)$/m.exec(execFileSync('/bin/sh', ['-c', '"$0" --version 2>&1', `${bin}/llama-server`], { encoding: 'utf8' }))?.[1];
  assert.ok(build, 'llama-server prints its version');
  assert.deepEqual(f.llamaCpp['llama-server'], { build, protocol: f.llamaCpp['rpc-server']?.protocol, cache: false });
  assert.match(f.llamaCpp['rpc-server']?.protocol ?? '', /^\d+\.\d+\.\d+$/);
  assert.deepEqual(f.llamaCpp['rpc-server'], { build, protocol: f.llamaCpp['rpc-server']?.protocol, cache: true });
  assert.ok(Date.now() - started < 10_000, 'the probe never serves: the rpc-server exits at once');
});
