import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import OpenAI from 'openai';
import { callContext, openCore } from '../../main/app/core.js';
import { startRouter, type RunningRouter } from '../../main/router/index.js';
import { tinyGguf } from '../fixtures/gguf/tiny-gguf.js';
import type { CallInput, CallName, CallOutput } from '../../shared/contract/index.js';
import { engineBinDir } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp.js';

// The real engine: llama-server processes (llama.cpp, built by scripts/install-engine.sh) serving the tiny
// random-weight model, behind the router, talked to with the official openai client.

const quiet = { info: () => undefined, error: () => undefined };

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

interface LlamaServer {
  name: string;
  url: string;
  child: ChildProcess;
}

async function startLlamaServer(t: TestContext, name: string, model: string): Promise<LlamaServer> {
  const port = await freePort();
  const child = spawn(path.join(engineBinDir(), 'llama-server'), ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-c', '2048', '-np', '4', '-t', '1', '--no-webui'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4_000)));
  t.after(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server ${name} exited with ${child.exitCode}: ${log}`);
    const ok = await fetch(`${url}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { name, url, child };
    if (Date.now() > deadline) throw new Error(`llama-server ${name} did not become healthy: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function routerBefore(t: TestContext, servers: LlamaServer[], policy: CallInput<'router.policy.set'> = {}): Promise<{ router: RunningRouter; key: string }> {
  // The data dir goes last, after the router that writes into it has stopped (one hook, in order).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'outpost-router-llama-'));
  const core = openCore({ dataDir });
  const call = async <K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>> => {
    const envelope = await core.dispatcher.invoke(name, input, callContext('cli'));
    if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`);
    return envelope.result as CallOutput<K>;
  };
  for (const s of servers) await call('router.endpoints.add', { name: s.name, url: s.url, models: ['tiny'], slots: 4 });
  await call('router.policy.set', policy);
  const { key } = await call('router.keys.add', { app: 'tests' });
  const router = await startRouter({ dataDir, databaseFile: core.layout.database, host: '127.0.0.1', port: 0, log: quiet, reloadPollMs: 50, statsIntervalMs: 200 });
  t.after(async () => {
    await router.close(200);
    core.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { router, key };
}

function tinyModel(t: TestContext): string {
  const file = path.join(tempDir(t, 'outpost-llama-model-'), 'tiny.gguf');
  fs.writeFileSync(file, tinyGguf(6));
  return file;
}

test('the official openai client streams through the router from real llama-server processes', async (t) => {
  const model = tinyModel(t);
  const servers = [await startLlamaServer(t, 'llama-a', model), await startLlamaServer(t, 'llama-b', model)];
  const { router, key } = await routerBefore(t, servers);
  const client = new OpenAI({ apiKey: key, baseURL: `${router.url}/v1`, maxRetries: 0 });

  assert.deepEqual(
    (await client.models.list()).data.map((m) => m.id),
    ['tiny'],
  );
  const served = new Set<string>();
  for (let i = 0; i < 4; i += 1) {
    const { data: stream, response } = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `weld ${i}` }], max_tokens: 12, stream: true }).withResponse();
    served.add(response.headers.get('x-outpost-endpoint') ?? '');
    let chunks = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      chunks += 1;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(chunks >= 12, `one event per token at least (${chunks})`);
    assert.equal(finish, 'length', 'the tiny model always runs to max_tokens');
  }
  assert.deepEqual([...served].sort(), ['llama-a', 'llama-b'], 'both llama-servers took traffic');
  const plain = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'inspect' }], max_tokens: 5 });
  assert.equal(plain.usage?.completion_tokens, 5);
  assert.equal(plain.choices[0]?.finish_reason, 'length');
});

test('killing one of two llama-servers under load fails no request that had not started streaming', async (t) => {
  const model = tinyModel(t);
  const servers = [await startLlamaServer(t, 'llama-a', model), await startLlamaServer(t, 'llama-b', model)];
  const [victim] = servers as [LlamaServer, LlamaServer];
  const { router, key } = await routerBefore(t, servers, { affinityPrefixChars: 0, maxRetries: 2 });
  const client = new OpenAI({ apiKey: key, baseURL: `${router.url}/v1`, maxRetries: 0 });

  const outcomes = { completed: 0, failedBeforeStreaming: [] as string[], failedMidStream: 0, byEndpoint: new Map<string, number>(), afterKill: new Map<string, number>() };
  let killedAt: number | null = null;
  const stopAt = Date.now() + 8_000;
  const worker = async (n: number) => {
    for (let i = 0; Date.now() < stopAt; i += 1) {
      let streaming = false;
      const startedAt = Date.now();
      try {
        const { data: stream, response } = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `client ${n} request ${i}` }], max_tokens: 48, stream: true }).withResponse();
        const endpoint = response.headers.get('x-outpost-endpoint') ?? '?';
        for await (const chunk of stream) {
          streaming = true;
          void chunk;
        }
        outcomes.completed += 1;
        outcomes.byEndpoint.set(endpoint, (outcomes.byEndpoint.get(endpoint) ?? 0) + 1);
        if (killedAt !== null && startedAt > killedAt) outcomes.afterKill.set(endpoint, (outcomes.afterKill.get(endpoint) ?? 0) + 1);
      } catch (error) {
        if (streaming) outcomes.failedMidStream += 1;
        else outcomes.failedBeforeStreaming.push(String(error));
      }
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));
  await new Promise((r) => setTimeout(r, 2_500));
  assert.ok((outcomes.byEndpoint.get('llama-a') ?? 0) > 0, 'the victim served traffic before it was killed');
  victim.child.kill('SIGKILL');
  killedAt = Date.now();
  await load;

  t.diagnostic(`completed ${outcomes.completed}, failed mid-stream ${outcomes.failedMidStream}, served ${JSON.stringify([...outcomes.byEndpoint])}, after the kill ${JSON.stringify([...outcomes.afterKill])}`);
  assert.deepEqual(outcomes.failedBeforeStreaming, [], 'no request failed that had not started streaming');
  assert.ok((outcomes.afterKill.get('llama-b') ?? 0) >= 8, 'the survivor carried the load after the kill');
  assert.equal(outcomes.afterKill.get('llama-a') ?? 0, 0);
});

test('a stream whose llama-server is killed mid-stream is continued on the other: one stream, max_tokens counted across both', async (t) => {
  const model = tinyModel(t);
  const servers = [await startLlamaServer(t, 'llama-a', model), await startLlamaServer(t, 'llama-b', model)];
  const { router, key } = await routerBefore(t, servers, { affinityPrefixChars: 0, breakerFailures: 100 });
  const client = new OpenAI({ apiKey: key, baseURL: `${router.url}/v1`, maxRetries: 0 });
  const { data: stream, response } = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'weld' }], max_tokens: 400, temperature: 0.7, seed: 3, stream: true, stream_options: { include_usage: true } }).withResponse();
  const victim = servers.find((s) => s.name === response.headers.get('x-outpost-endpoint')) as LlamaServer;
  const ids = new Set<string>();
  let texts = 0;
  let roles = 0;
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null = null;
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.choices[0]?.delta?.role) roles += 1;
    if (chunk.choices[0]?.delta?.content) texts += 1;
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
    if (texts === 5 && victim.child.exitCode === null) victim.child.kill('SIGKILL');
  }
  const scraped = await (await fetch(`${router.url}/metrics`)).text();
  t.diagnostic(`events with text ${texts}, usage ${JSON.stringify(usage)}`);
  assert.match(scraped, new RegExp(`outpost_router_migrations_total\\{model="tiny",from="${victim.name}",outcome="continued"\\} 1`));
  assert.equal(finish, 'length', 'the tiny model runs to max_tokens, counted across both servers');
  assert.equal(ids.size, 1, 'one id');
  assert.equal(roles, 1, 'one role delta');
  assert.equal(usage?.completion_tokens, 400, 'the completion tokens of both legs');
  assert.ok(texts >= 390 && texts <= 400, `about one event with text per token (${texts})`);
});
