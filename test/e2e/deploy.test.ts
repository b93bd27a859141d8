import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.js';
import { expectAccessible } from '../helpers/axe.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, taggedProcesses, until, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';
import { PlanPageObject } from './pages/plan-page.js';
import { WorkersPageObject } from './pages/workers-page.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test', 'artifacts');
const FIRST = 40;
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

/**
 * A head whose engine waits before it starts: the launch sits in its start phase long enough for a Cancel to land
 * there (the sleep is in the worker's own process group, so a stop ends it with the rest).
 */
function slowHeads(bench: WorkersBench, seconds: number): () => void {
  const restores = bench.site.hosts.map((host) => {
    const bin = path.join(host.root, 'bin', 'llama-server');
    const real = fs.readlinkSync(bin);
    fs.rmSync(bin);
    fs.writeFileSync(bin, `#!/bin/sh\n# Outpost test: a slow-starting llama-server\n[ "$1" = --version ] || sleep ${seconds}\nexec ${real} "$@"\n`, { mode: 0o755 });
    return () => {
      fs.rmSync(bin);
      fs.symlinkSync(real, bin);
    };
  });
  return () => restores.forEach((restore) => restore());
}

/** Refusals the tests provoke answer with an error status, which Chromium logs as a failed resource load. */
const unexpected = (consoleErrors: readonly string[], statuses: readonly number[]): string[] => consoleErrors.filter((e) => !statuses.some((status) => e.includes(`status of ${status}`)));

describe('deploy from the window: plan, Launch with the stored login, live phases, Cancel rolls back, saved plans', { skip: unavailable }, () => {
  let bench: WorkersBench;
  const launched: string[] = [];
  const port = 18500 + (process.pid % 150);

  before(async () => {
    // RAM enough for the tiny model as the window plans it, from the inventory alone (no planner overrides).
    const memory = { memTotalKiB: 800_000, memAvailableKiB: 790_000 };
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 40, profiles: { 'dp-a': cpuWorkerProfile('deploy-worker-a', memory), 'dp-b': cpuWorkerProfile('deploy-worker-b', memory) } });
  });
  after(async () => {
    for (const id of launched) await bench.call('workers.stop', { deployment: id }).catch(() => undefined);
    await bench?.close();
  });

  test('a plan made in the window launches from its dialog: the login that inventoried the nodes, each phase ticked to ready, the test prompt shown; a plan in use is not deleted', async (t) => {
    const { url } = await startSiteService(t, bench.dataDir);
    const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 1100 });
    await win.goTo('workers');
    await win
      .byTestId('workers-empty')
      .getByRole('link', { name: /Plan page/ })
      .click();
    await win.byTestId('page-plan').waitFor();

    const plan = new PlanPageObject(page);
    const nodes = await bench.nodeNames();
    const planId = await plan.planAndSave({ ggufPath: bench.modelFile, nodes, context: 2048, parallel: 1 });
    await plan.savedPlan(planId).waitFor();
    await plan.openLaunch();
    assert.equal(await plan.proposedLogin(), bench.site.user, 'the login that inventoried the nodes, as the service proposes it');
    assert.match((await win.byTestId('launch-login-note').textContent()) ?? '', new RegExp(`inventoried the hosts.*${nodes[0]} \\(${bench.site.user}\\)`));
    await expectAccessible(page, 'the Launch dialog');
    await win.byTestId('launch-transport-lan').check();
    assert.match((await win.byTestId('launch-lan-warning').textContent()) ?? '', /not encrypted and not authenticated/);
    await win.byTestId('launch-transport-ssh').check();

    const deploymentId = await plan.launch({ port });
    launched.push(deploymentId);
    await plan.phase('preflight', 'done').waitFor({ timeout: 60_000 });
    await win.byTestId('launch-ready').waitFor({ timeout: 120_000 });
    for (const phase of ['preflight', 'model', 'keys', 'start', 'ready', 'test', 'register'] as const) assert.equal(await plan.phase(phase).getAttribute('data-state'), 'done', phase);
    assert.match((await win.byTestId('launch-test-result').textContent()) ?? '', /test prompt: \d+ tokens at \d+ tokens\/s/);
    assert.match((await win.byTestId('launch-transfer').textContent()) ?? '', /100% · [\d.]+\/[\d.]+ MB/, 'the copy said how much it moved');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'launch.png') });
    await expectAccessible(page, 'the launch phases');

    // The plan a live deployment uses stays, and the refusal names the deployment.
    await page.keyboard.press('Escape');
    await plan.dialog.waitFor({ state: 'detached' });
    await plan.deletePlan(planId);
    await win.byTestId('saved-plans').getByTestId('error-note').filter({ hasText: deploymentId }).waitFor();
    assert.equal(await plan.savedPlan(planId).count(), 1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'plans.png'), fullPage: true });
    await expectAccessible(page, 'the saved plans');

    // Close leaves the form without launching.
    await plan.openLaunch();
    await plan.byTestId('launch-close').click();
    await plan.dialog.waitFor({ state: 'detached' });
    // The ready deployment, on the Workers page.
    await win.goTo('workers');
    await new WorkersPageObject(page).deployment(deploymentId).getByTestId('deployment-state').filter({ hasText: 'ready' }).waitFor();
    // 409: the refused delete.
    assert.deepEqual(unexpected(consoleErrors, [409]), []);
  });

  test('Cancel during a launch, once confirmed, rolls back: the window shows the rollback and the final state, and no worker process is left; the plan is then deletable', async (t) => {
    const restore = slowHeads(bench, 20);
    t.after(restore);
    for (const id of launched.splice(0)) await bench.call('workers.stop', { deployment: id });
    const planId = await bench.plan(await bench.nodeNames());
    const { url } = await startSiteService(t, bench.dataDir);
    const { page, win, consoleErrors } = await openOutpostWindow(t, url, { width: 1366, height: 1100 });
    await win.goTo('plan');
    const plan = new PlanPageObject(page);
    await plan.openLaunchOfSaved(planId);
    const deploymentId = await plan.launch({ port: port + 1 });
    launched.push(deploymentId);
    await page.locator('[data-testid="launch-phase-start"][data-state="active"], [data-testid="launch-phase-ready"][data-state="active"]').waitFor({ timeout: 60_000 });
    await until('a worker process of the launch running', () => taggedProcesses(deploymentId).length > 0, 20_000);
    // Escape while it runs asks first, as Cancel does.
    await page.keyboard.press('Escape');
    await win.byTestId('launch-cancel-confirm').waitFor();
    await page.getByRole('button', { name: 'Keep launching' }).click();
    await plan.cancelLaunch();
    await win.byTestId('launch-rollback').filter({ hasText: 'stopped during launch' }).waitFor({ timeout: 30_000 });
    await win
      .byTestId('launch-final-state')
      .filter({ hasText: `${deploymentId} stopped` })
      .waitFor({ timeout: 30_000 });
    assert.match((await win.byTestId('launch-dialog').getByTestId('error-note').textContent()) ?? '', /was stopped; what it started was stopped and its keys removed/);
    assert.equal(await plan.phase('register').getAttribute('data-state'), 'pending');
    await until('no worker process left', () => taggedProcesses(deploymentId).length === 0, 10_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'launch-cancelled.png'), fullPage: true });

    await plan.byTestId('launch-close').click();
    await plan.deletePlan(planId);
    await plan.savedPlan(planId).waitFor({ state: 'detached' });
    // 499: the cancelled launch call.
    assert.deepEqual(unexpected(consoleErrors, [499]), []);
    const journal = await bench.call('system.journal', { limit: 20 });
    assert.ok(
      journal.some((e) => e.action === 'planner.delete' && e.outcome === 'ok'),
      'the delete is journaled',
    );
  });
});
