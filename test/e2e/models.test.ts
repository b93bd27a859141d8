import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { releasingHq } from '../helpers/releases.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { ModelsPageObject } from './pages/models-page.js';
import { WorkersPageObject } from './pages/workers-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 24; // this file's loopback block: 127.0.0.24–25
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

test('the Models page lists both releases with version, size and digest, plans one by name@version, and the Workers page rolls out to version 2 and back', { skip: unavailable }, async (t) => {
  const bench = await startWorkersBench({ firstAddress: FIRST, seed: 61, profiles: { 'mo-a': cpuWorkerProfile('models-a'), 'mo-b': cpuWorkerProfile('models-b') } });
  const releases = await releasingHq(bench);
  t.after(async () => {
    for (const d of await bench.call('workers.list', { all: false })) await bench.call('workers.stop', { deployment: d.id }).catch(() => undefined);
    for (const d of await bench.call('workers.list', { all: true })) for (const pid of taggedProcesses(d.id)) process.kill(pid, 'SIGKILL');
    releases.close();
    await bench.close();
  });
  await releases.release('1', 61);
  const planId = await bench.plan(await bench.nodeNames(), 'outpost-tiny@1');
  const v1 = await bench.call('workers.launch', { planId, user: bench.site.user, port: 18600 + (process.pid % 40) * 4 });
  await releases.release('2', 62);

  const { url } = await startSiteService(t, bench.dataDir);
  const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 900 });
  await win.goTo('models');
  const models = new ModelsPageObject(page);
  for (const ref of ['outpost-tiny@2', 'outpost-tiny@1']) {
    const row = models.row(ref);
    await row.waitFor();
    assert.match((await row.getByTestId('models-version').textContent()) ?? '', ref.endsWith('2') ? /^2 \(newest\)$/ : /^1$/);
    assert.match((await row.textContent()) ?? '', /llama.*(KiB|MiB).*data dir: models\/[0-9a-f]{64}.*signed by hq-releases/);
    assert.match((await row.getByTestId('models-digest').textContent()) ?? '', /^[0-9a-f]{16}…$/);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'models.png'), fullPage: true });
  await expectAccessible(page, 'the Models page with two releases');

  // "Plan this model": the Plan page opens with the release chosen in its model picker.
  await models.plan('outpost-tiny@2');
  assert.match(page.url(), /#\/plan\?model=outpost-tiny%402$/);
  const picker = page.getByTestId('plan-model');
  await picker.locator('option[value="release:outpost-tiny@2"]').waitFor({ state: 'attached' });
  assert.equal(await picker.inputValue(), 'release:outpost-tiny@2');

  // Version 2 arrived while version 1 serves: the deployment card offers the rollout, asks first, and moves the traffic.
  await win.goTo('workers');
  const workers = new WorkersPageObject(page);
  const card = workers.deployment(v1.id);
  await card.getByTestId('deployment-version').filter({ hasText: 'version 1' }).waitFor();
  await card.getByTestId('rollout-offer').filter({ hasText: 'Version 2 available' }).waitFor();
  await workers.rollOut(v1.id);
  await card.getByTestId('rollout-progress').waitFor();
  await card.waitFor({ state: 'detached', timeout: 120_000 });
  const v2 = (await bench.call('workers.list', { all: false }))[0];
  assert.equal(v2?.modelVersion, '2');
  assert.equal(v2?.model, 'outpost-tiny');
  const next = workers.deployment(v2.id);
  await next.getByTestId('deployment-version').filter({ hasText: 'version 2' }).waitFor();
  await next
    .getByTestId('rollout-detail')
    .filter({ hasText: `rolled out outpost-tiny 1 → 2: ${v2.id} serves, ${v1.id} stopped` })
    .waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'models-rollout.png'), fullPage: true });
  await expectAccessible(page, 'a deployment card after a rollout');

  await workers.rollBack(v2.id);
  await next.waitFor({ state: 'detached', timeout: 120_000 });
  const back = (await bench.call('workers.list', { all: false }))[0];
  assert.equal(back?.modelVersion, '1');
  await workers.deployment(back.id).getByTestId('rollout-offer').filter({ hasText: 'Version 2 available' }).waitFor();
  assert.deepEqual(consoleErrors, []);
});
