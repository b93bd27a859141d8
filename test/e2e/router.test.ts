import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { post, startRouterSetup } from '../helpers/router.js';
import { RouterPageObject } from './pages/router-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');

test('the Router page shows endpoints by tier with live state and traffic, and creates and revokes API keys', async (t) => {
  const setup = await startRouterSetup(t, {
    upstreams: [
      { name: 'gpu-a', tier: 'site', ttftMs: 30, tokensPerSecond: 500, tokens: 6 },
      { name: 'gpu-b', tier: 'site', ttftMs: 60, tokensPerSecond: 500, tokens: 6 },
      { name: 'edge-dc', tier: 'edge', ttftMs: 90, tokensPerSecond: 500, tokens: 6 },
    ],
    policy: { breakerFailures: 1, breakerCooldownMs: 60_000, probeIntervalMs: 60_000, maxRetries: 2 },
  });
  const chat = { model: 'tiny', messages: [{ role: 'user', content: 'status of line 3?' }], stream: true };
  for (let i = 0; i < 12; i += 1) await Promise.all([post(`${setup.url}/v1/chat/completions`, setup.key, chat), post(`${setup.url}/v1/chat/completions`, setup.key, { ...chat, messages: [{ role: 'user', content: `other ${i}` }] })]);
  await (setup.upstreams[2] as NonNullable<(typeof setup.upstreams)[2]>).setFault('http-500');
  await setup.upstreams[0]?.setFault('http-500');
  await setup.upstreams[1]?.setFault('http-500');
  assert.equal((await post(`${setup.url}/v1/chat/completions`, setup.key, chat)).status, 503, 'every endpoint fails once and opens its breaker');
  await setup.upstreams[0]?.setFault('none');

  await setup.call('identity.init', { siteId: 'plant-7' });
  const { url } = await startSiteService(t, setup.dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1280, height: 1100 });
  await win.byTestId('nav-router').click();
  const router = new RouterPageObject(page);
  await router.byTestId('router-state').filter({ hasText: 'running' }).waitFor();
  // This test's router was started outside the app (in the test process): the app leaves it running and says so.
  await router
    .byTestId('router-supervision')
    .filter({ hasText: `Started outside the app (pid ${process.pid})` })
    .waitFor();

  assert.equal(await router.byTestId('router-tier-site').locator('tbody tr').count(), 2);
  assert.equal(await router.byTestId('router-tier-edge').locator('tbody tr').count(), 1);
  await router.endpointRow('edge-dc').getByTestId('breaker').filter({ hasText: 'open' }).waitFor();
  assert.match((await router.endpointRow('gpu-a').getByTestId('ttft').textContent()) ?? '', /^\d+ ms$/);
  assert.match((await router.endpointRow('gpu-a').getByTestId('in-flight').textContent()) ?? '', /^0 \/ 4$/);
  assert.equal(await router.byTestId('router-sparkline-gpu-a').locator('polyline').count(), 1, 'a TTFT sparkline');
  assert.equal(await router.byTestId('router-rate-chart').locator('polyline').count(), 2);
  assert.equal(await router.byTestId('router-latency-chart').locator('polyline').count(), 2);

  const key = await router.createKey('weld-inspection', 'tiny');
  assert.match(key, /^opk_[a-z0-9]+_\S{40,}$/);
  const keys = await setup.call('router.keys.list', {});
  const created = keys.find((k) => k.app === 'weld-inspection');
  assert.ok(created);
  assert.deepEqual(created.models, ['tiny']);
  await router.byTestId(`router-key-${created.id}`).waitFor();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'router-endpoints.png'), fullPage: true });
  await expectAccessible(page, 'the Router page with endpoints, traffic and a new key');

  await router.revokeKey(created.id);
  assert.ok((await setup.call('router.keys.list', {})).find((k) => k.id === created.id)?.revokedAt);
  assert.deepEqual(consoleErrors, [], 'no CSP violation or script error');
  await router.byTestId('router-key-app').fill('bad name!');
  await router.byTestId('router-key-create').click();
  await router.byTestId('error-note').waitFor();
  assert.match((await router.byTestId('error-note').textContent()) ?? '', /app: an app name is 1–63 letters/);
  await expectAccessible(page, 'the Router page with a refused key and a revoked one');
});
