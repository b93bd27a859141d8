import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'node:test';
import { promisify } from 'node:util';
import type { TelemetrySettings } from '../../shared/domain/telemetry.js';
import { startSimulatedUpstream } from '../fixtures/simulated-openai-upstream.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { SETTING_ENV, freePort } from '../helpers/router-listen.js';
import { tempDir } from '../helpers/temp.js';
import { RouterPageObject } from './pages/router-page.js';
import { SettingsPageObject } from './pages/settings-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const run = promisify(execFile);

/** A snippet copied from the page, run as a developer pastes it into a shell: curl is the HTTP client. */
async function runSnippet(snippet: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('bash', ['-c', `set -o pipefail; ${snippet}`], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 });
  return stdout;
}

const streamedTokens = (sse: string) => sse.split('\n').filter((line) => line.startsWith('data: {')).length;

test('the Router page tells an application how to connect (base URL, key, snippets that work), and the Settings page sets the health limits and the router address', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const outpost = async (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args], { env: SETTING_ENV });
  const upstream = await startSimulatedUpstream({ name: 'gpu-a', models: ['outpost-tiny'], ttftMs: 10, tokensPerSecond: 500, tokens: 4 });
  t.after(() => upstream.close());
  const [first, second] = [await freePort(), await freePort()];
  for (const args of [
    ['keys', 'init', '--site-id', 'plant-7'],
    ['router', 'listen', '--port', String(first)],
    ['router', 'endpoints', 'add', 'gpu-a', upstream.url, '--models', 'outpost-tiny'],
  ]) {
    const result = await outpost(...args);
    assert.equal(result.code, 0, result.stderr);
  }
  const { url } = await startSiteService(t, dataDir, { env: SETTING_ENV });
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1280, height: 1000 });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });

  await win.goTo('router');
  const router = new RouterPageObject(page);
  await router
    .byTestId('router-state')
    .filter({ hasText: `running at http://127.0.0.1:${first}` })
    .waitFor({ timeout: 30_000 });
  assert.equal(await router.baseUrl(), `http://127.0.0.1:${first}/v1`);
  assert.equal((await router.byTestId('connect-models').textContent())?.trim(), 'outpost-tiny');
  assert.equal(await router.byTestId('connect-warning').count(), 0, 'loopback only: no warning');

  const key = await router.createKey('line-3');
  assert.match(key, /^opk_[a-z0-9]+_\S{40,}$/);
  assert.equal(await router.copy('router-new-key-value'), key, 'the new key is copied');
  assert.equal(await router.byTestId('router-new-key-value-copy').getAttribute('data-state'), 'copied');
  const curl = await router.copySnippet('curl');
  assert.ok(curl.includes(key), 'right after creation the snippet carries the key itself');
  assert.ok(curl.includes(`http://127.0.0.1:${first}/v1/chat/completions`));
  assert.match(await router.copySnippet('openai-python'), new RegExp(`base_url="http://127\\.0\\.0\\.1:${first}/v1", api_key="${key}"`));
  assert.match(await router.copySnippet('openai-js'), /model: "outpost-tiny"/);
  const answer = await runSnippet(curl);
  assert.ok(streamedTokens(answer) >= 4, `the router streamed the completion: ${answer.slice(0, 300)}`);
  assert.match(answer, /data: \[DONE\]/);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await router.byTestId('router-connect').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, 'router.png'), fullPage: true });
  await expectAccessible(page, 'the Connect an application card');

  // Any other key: the snippet reads it from the environment, and says so.
  await router.chooseKey('');
  await router.byTestId('connect-key-note').filter({ hasText: 'read the key from the environment variable OUTPOST_API_KEY' }).waitFor();
  const placeholder = await router.copySnippet('curl');
  assert.ok(!placeholder.includes(key) && placeholder.includes('$OUTPOST_API_KEY'));
  assert.ok(streamedTokens(await runSnippet(placeholder, { OUTPOST_API_KEY: key })) >= 4);

  await win.goTo('settings');
  const settings = new SettingsPageObject(page);
  await settings.field('offlineLimitHours').waitFor();
  assert.equal(await settings.value('offlineLimitHours'), '72');
  assert.equal(await settings.save('health', { offlineLimitHours: 'soon' }), 'refused');
  assert.match((await settings.fieldError('offlineLimitHours').textContent()) ?? '', /expected number/);
  assert.equal(await settings.save('health', { offlineLimitHours: '48' }), 'saved');
  assert.equal(await settings.value('offlineLimitHours'), '48');
  assert.equal(await settings.fieldError('offlineLimitHours').count(), 0);
  const limits = JSON.parse((await outpost('--json', 'call', 'telemetry.settings.show')).stdout) as TelemetrySettings;
  assert.equal(limits.offlineLimitHours, 48, 'stored by the site service');

  assert.equal(await settings.value('port'), String(first));
  assert.equal(await settings.save('router', { port: '80' }), 'refused');
  assert.match((await settings.fieldError('port').textContent()) ?? '', /from 1024 to 65535/);
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const taken = (squatter.address() as net.AddressInfo).port;
  assert.equal(await settings.save('router', { port: String(taken) }), 'refused');
  assert.equal((await settings.fieldError('port').textContent())?.trim(), `${taken} is in use by another program`);
  assert.ok(streamedTokens(await runSnippet(curl)) >= 4, 'the router still serves on its port');

  assert.equal(await settings.save('router', { port: String(second) }), 'saved');
  await settings
    .byTestId('settings-router-serving')
    .filter({ hasText: `http://127.0.0.1:${second}/v1` })
    .waitFor();
  assert.equal(await settings.value('port'), String(second), 'read back after saving');
  const moved = curl.replace(`:${first}/`, `:${second}/`);
  assert.ok(streamedTokens(await runSnippet(moved)) >= 4, 'the router answers on the new port');
  await assert.rejects(runSnippet(curl), 'the old port is closed');
  await page.screenshot({ path: path.join(ARTIFACTS, 'settings.png'), fullPage: true });
  await expectAccessible(page, 'the Settings page');

  await win.goTo('router');
  await router
    .byTestId('router-state')
    .filter({ hasText: `running at http://127.0.0.1:${second}` })
    .waitFor({ timeout: 30_000 });
  assert.equal(await router.baseUrl(), `http://127.0.0.1:${second}/v1`);
  assert.equal(await router.byTestId('router-state').filter({ hasText: 'outpost router' }).count(), 0, 'no CLI hint while it runs');
  // The refused saves answer 400 and 409, which Chromium logs as failed loads; anything else is a fault.
  const refusals = /^Failed to load resource: the server responded with a status of (400 \(Bad Request\)|409 \(Conflict\))$/;
  assert.deepEqual(
    consoleErrors.filter((e) => !refusals.test(e)),
    [],
    'no CSP violation or script error',
  );
});
