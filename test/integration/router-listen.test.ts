import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import test from 'node:test';
import OpenAI from 'openai';
import type { RouterListen } from '../../shared/domain/router.js';
import { startSimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';
import { startSiteService } from '../helpers/browser-mode.js';
import { runOutpost } from '../helpers/cli.js';
import { SETTING_ENV, freePort } from '../helpers/router-listen.js';
import { tempDir } from '../helpers/temp.js';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const answers = (url: string) => fetch(`${url}/healthz`).then((r) => r.ok);
const refused = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => false,
    () => true,
  );

async function streamed(baseURL: string, apiKey: string): Promise<string> {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'status of line 3?' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

test("the router's port is changed through the contract: the router moves there, the old port closes, and a taken port is refused while it keeps serving", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const outpost = async (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args], { env: SETTING_ENV });
  const upstream = await startSimulatedUpstream({ name: 'gpu-a', ttftMs: 10, tokensPerSecond: 500, tokens: 5 });
  t.after(() => upstream.close());
  const [first, second] = [await freePort(), await freePort()];

  // No site service yet: the setting is checked and stored; the service's router starts there.
  const stored = await outpost('--json', 'router', 'listen', '--port', String(first));
  assert.equal(stored.code, 0, stored.stderr);
  assert.match((JSON.parse(stored.stdout) as RouterListen).note ?? '', /no site service runs/);
  assert.equal((await outpost('router', 'endpoints', 'add', 'gpu-a', upstream.url, '--models', 'tiny')).code, 0);
  const key = /opk_\S+/.exec((await outpost('router', 'keys', 'add', 'line-3')).stdout)?.[0] as string;
  await startSiteService(t, dataDir, { env: SETTING_ENV });
  const firstUrl = `http://127.0.0.1:${first}`;
  await until('the supervised router on the stored port', () => answers(firstUrl));
  assert.ok((await streamed(`${firstUrl}/v1`, key)).length > 0);

  const moved = await outpost('--json', 'router', 'listen', '--port', String(second));
  assert.equal(moved.code, 0, moved.stderr);
  const listen = JSON.parse(moved.stdout) as RouterListen;
  const secondUrl = `http://127.0.0.1:${second}`;
  assert.deepEqual(
    { host: listen.host, port: listen.port, stored: listen.stored, serving: listen.serving, baseUrls: listen.baseUrls, warning: listen.warning },
    { host: '127.0.0.1', port: second, stored: { host: '127.0.0.1', port: second }, serving: secondUrl, baseUrls: [`${secondUrl}/v1`], warning: null },
  );
  assert.ok((await streamed(`${secondUrl}/v1`, key)).length > 0, 'the official client streams on the new port');
  assert.ok(await refused(firstUrl), 'the old port is closed');

  // Something else holds the port asked for: refused before anything stops, the router serves on.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const taken = (squatter.address() as net.AddressInfo).port;
  const refusedMove = await outpost('router', 'listen', '--port', String(taken));
  assert.equal(refusedMove.code, 1);
  assert.equal(refusedMove.stderr, `outpost: 127.0.0.1:${taken} is already in use by another program; nothing was changed — the router keeps serving on ${secondUrl}; pick another port, or stop the program that uses it\n`);
  assert.ok((await streamed(`${secondUrl}/v1`, key)).length > 0, 'still serving on the port it had');
  const after = JSON.parse((await outpost('--json', 'router', 'listen')).stdout) as RouterListen;
  assert.deepEqual([after.port, after.stored.port, after.serving], [second, second, secondUrl], 'nothing half-applied');

  // Bad input names the field and changes nothing.
  const low = await outpost('router', 'listen', '--port', '80');
  assert.equal(low.code, 1);
  assert.match(low.stderr, /^outpost: the port must be a whole number from 1024 to 65535 \(80 is not\): lower ports need root — nothing was changed: the router keeps its address\n$/);
  const foreign = await outpost('router', 'listen', '--host', '192.0.2.77');
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /^outpost: this workstation has no address 192\.0\.2\.77: give 0\.0\.0\.0, 127\.0\.0\.1 or one of /);
  assert.ok(await answers(secondUrl));

  // Onto every address, same port: the router's own address overlaps it, so the move itself is the check.
  const wide = await outpost('--json', 'router', 'listen', '--host', '0.0.0.0');
  assert.equal(wide.code, 0, wide.stderr);
  const everywhere = JSON.parse(wide.stdout) as RouterListen;
  assert.equal(everywhere.serving, `http://0.0.0.0:${second}`);
  assert.equal(everywhere.exposure, 'site-network');
  assert.match(everywhere.warning ?? '', /every request to \/v1 needs an API key/);
  assert.equal(everywhere.baseUrls.at(-1), `${secondUrl}/v1`);
  assert.ok((await streamed(`${secondUrl}/v1`, key)).length > 0);
  const unauthenticated = await fetch(`${secondUrl}/v1/models`);
  assert.equal(unauthenticated.status, 401, 'off loopback, a request without a key is refused');
});
