import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import OpenAI from 'openai';
import { OUTPOST_BIN, REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { startSimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';

test('`outpost router` runs as its own process from the store; keys are shown once and stored as hashes', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const upstream = await startSimulatedUpstream({ name: 'gpu-a', ttftMs: 10, tokensPerSecond: 500, tokens: 5 });
  t.after(() => upstream.close());
  const run = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);

  assert.equal((await run('router', 'endpoints', 'add', 'gpu-a', upstream.url, '--models', 'tiny', '--slots', '2')).code, 0);
  const duplicate = await run('router', 'endpoints', 'add', 'gpu-a', upstream.url, '--models', 'tiny');
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /^outpost: an endpoint named gpu-a already exists .* — pick another name, or pass --replace to change it\n$/);
  const badUrl = await run('router', 'endpoints', 'add', 'gpu-b', 'ftp://x', '--models', 'tiny');
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.stderr, /url: an endpoint URL is http\(s\):\/\/host:port/);
  const badTier = await run('router', 'endpoints', 'add', 'gpu-b', upstream.url, '--models', 'tiny', '--tier', 'moon');
  assert.equal(badTier.code, 2);
  assert.match((await run('router', 'endpoints', 'list')).stdout, /^site\s+gpu-a\s+http:\/\/127\.0\.0\.1:\d+\s+slots 2\s+tiny$/m);
  const missing = await run('router', 'endpoints', 'remove', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /there is no endpoint named nope — known endpoints: gpu-a/);

  const created = await run('router', 'keys', 'add', 'clinic-app', '--models', 'tiny');
  assert.equal(created.code, 0);
  const key = /^\s+(opk_\S+)$/m.exec(created.stdout)?.[1] as string;
  assert.ok(key, created.stdout);
  assert.match(created.stdout, /cannot show it again/);
  const listed = (await run('router', 'keys', 'list')).stdout + (await run('router', 'keys', 'list', '--json')).stdout + (await run('journal', '--json')).stdout;
  assert.ok(!listed.includes(key.slice(20)), 'the key is never shown again, not even in the journal');
  assert.ok(!fs.readFileSync(path.join(dataDir, 'outpost.db')).includes(Buffer.from(key.slice(20))), 'the store holds no key');

  const child = spawn(process.execPath, [OUTPOST_BIN, '--data-dir', dataDir, '--json', 'router', '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        // the JSON is not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`outpost router exited with ${code}`)));
  });
  const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 't0 t1 t2 t3 t4 ');

  let status = await run('router', 'status', '--json');
  for (let i = 0; i < 20 && !(JSON.parse(status.stdout) as { stats: { endpoints: Array<{ requests: number }> } | null }).stats?.endpoints[0]?.requests; i += 1) {
    await new Promise((r) => setTimeout(r, 200));
    status = await run('router', 'status', '--json');
  }
  const parsed = JSON.parse(status.stdout) as { running: boolean; stats: { pid: number; endpoints: Array<{ name: string; requests: number; ttftMs: number | null }> } };
  assert.equal(parsed.running, true);
  assert.equal(parsed.stats.pid, child.pid);
  assert.equal(parsed.stats.endpoints[0]?.name, 'gpu-a');
  assert.equal(parsed.stats.endpoints[0]?.requests, 1);
  assert.ok((parsed.stats.endpoints[0]?.ttftMs ?? 0) > 0);
  assert.match((await run('router', 'status')).stdout, /^router running at http:\/\/127\.0\.0\.1:\d+ .*\nsite\s+gpu-a\s+(up|unprobed)\s+breaker closed/);

  // A port in use is told apart from a data dir in use (a second router on this one is refused by its lock).
  const otherDataDir = path.join(tempDir(t), 'other');
  assert.equal((await runOutpost(['--data-dir', otherDataDir, 'router', 'endpoints', 'add', 'gpu-a', upstream.url, '--models', 'tiny'])).code, 0);
  const busy = await runOutpost(['--data-dir', otherDataDir, 'router', '--port', new URL(url).port]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /^outpost: the router cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\) — another process uses that port/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM stops the router cleanly');
});
