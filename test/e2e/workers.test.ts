import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { WorkersPageObject } from './pages/workers-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 185;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

test('the Workers page shows the sharded deployment live, streams a test prompt, and stops it after confirmation', { skip: unavailable }, async (t) => {
  const bench = await startWorkersBench({ firstAddress: FIRST, seed: 12, profiles: { 'ui-a': cpuWorkerProfile('ui-worker-a'), 'ui-b': cpuWorkerProfile('ui-worker-b') } });
  let deploymentId: string | null = null;
  // One hook, in order: the deployment is stopped over SSH before the site goes away.
  t.after(async () => {
    if (deploymentId) await bench.call('workers.stop', { deployment: deploymentId }).catch(() => undefined);
    await bench.close();
  });
  const planId = await bench.plan(await bench.nodeNames());
  const deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port: 18700 + (process.pid % 500) });
  deploymentId = deployment.id;

  const { url } = await startSiteService(t, bench.dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1280, height: 1000 });
  await win.goTo('workers');
  const workers = new WorkersPageObject(page);
  const card = workers.deployment(deployment.id);
  await card.getByTestId('deployment-state').filter({ hasText: 'ready' }).waitFor();
  assert.equal(await card.getByTestId('workers-stages').locator('.workers-stage').count(), 2, 'one bar per plan stage');
  for (const name of ['head', 'rpc-1', 'tunnel-1']) await card.getByTestId(`worker-${name}`).filter({ hasText: 'running' }).waitFor();
  // Plan vs actual, as workers.list returns it: memory per stage from the load log, tokens/s and TTFT.
  for (const row of ['actual-stage-0', 'actual-stage-1', 'actual-tokens', 'actual-ttft']) await card.getByTestId('plan-vs-actual').getByTestId(row).waitFor();
  assert.match((await card.getByTestId('actual-stage-0').textContent()) ?? '', /MiB.*MiB.*not measured/);
  assert.match((await card.getByTestId('actual-tokens').textContent()) ?? '', /tok\/s.*tok\/s/);
  // The head's log tail, fetched over SSH from its host.
  await card.getByTestId('workers-log').filter({ hasNotText: '(no output yet)' }).waitFor();
  assert.ok(((await card.getByTestId('workers-log').textContent()) ?? '').split('\n').length >= 3);
  // The log pane is reached and scrolled by keyboard (a focusable role=log region).
  const log = card.getByTestId('workers-log');
  await log.focus();
  await page.keyboard.press('End');
  const scroll = await log.evaluate((pane) => {
    const box = pane as unknown as { scrollTop: number; scrollHeight: number; clientHeight: number };
    return { scrollTop: box.scrollTop, scrollHeight: box.scrollHeight, clientHeight: box.clientHeight };
  });
  assert.ok(scroll.scrollHeight <= scroll.clientHeight || scroll.scrollTop > 0, 'End scrolls the focused log to its last lines');

  await workers.sendPrompt(deployment.id, 'Hello from the Workers page');
  await card.getByTestId('workers-answer-figures').filter({ hasText: 'tokens/s' }).waitFor({ timeout: 30_000 });
  assert.ok(((await card.getByTestId('workers-answer').textContent()) ?? '').length > 0, 'streamed text is shown');

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'workers.png'), fullPage: true });
  await expectAccessible(page, 'the Workers page with a ready deployment');

  await workers.stop(deployment.id);
  await card.waitFor({ state: 'detached', timeout: 30_000 });
  await until('no worker process left', () => taggedProcesses(deployment.id).length === 0, 10_000);
  assert.deepEqual(consoleErrors, []);
});
