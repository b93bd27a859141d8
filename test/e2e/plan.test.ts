import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { openOutpostWindow, startSiteService } from '../helpers/browser-mode.js';
import { expectAccessible } from '../helpers/axe.js';
import { commonFreePort, sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp.js';
import { startSimulatedSite } from '../fixtures/simulated-site/simulated-site.js';

const NODE_SITE = 146; // this file's loopback address for the simulated A10G box
const sshdUnavailable = await sshdFleetUnavailableReason(NODE_SITE);
if (sshdUnavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${sshdUnavailable}`);

test('the Plan page draws the stages of a real plan, saves it, and says why an impossible one fails', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const { url } = await startSiteService(t, dataDir);
  const { page, win } = await openOutpostWindow(t, url, { width: 1280, height: 1300 });
  await win.goTo('plan');

  // No made-up hardware: catalog GPUs only in the labelled what-if rows, added by hand.
  assert.equal(await page.getByLabel('remove GPU').count(), 0);
  for (const [i, [gpu, server]] of [
    ['A100-80GB', 'srv-a100'],
    ['L40S', 'srv-l40s'],
    ['T4', 'srv-t4'],
  ].entries()) {
    await win.byTestId('plan-add-what-if').click();
    await win.byTestId(`plan-gpu-${i}`).selectOption(gpu as string);
    await page
      .getByLabel('server')
      .nth(i)
      .fill(server as string);
  }
  await win.byTestId('plan-parallel').fill('8');
  await win.byTestId('plan-run').click();
  await win.byTestId('plan-stages').waitFor();
  // The same request through the CLI must give the same plan: one core behind both.
  const cli = JSON.parse((await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Llama-3.1-70B', '--quant', 'Q4_K_M', '--parallel', '8', '--gpus', 'A100-80GB@srv-a100,L40S@srv-l40s,T4@srv-t4', '--no-save', '--json'])).stdout) as {
    plan: { stages: Array<{ gpu: string; layerCount: number }>; estimates: { aggregateTokensPerSecond: number } };
  };
  assert.equal(await page.locator('.plan-stage').count(), cli.plan.stages.length);
  for (const [i, stage] of cli.plan.stages.entries()) {
    assert.match((await win.byTestId(`plan-stage-${i}`).textContent()) ?? '', new RegExp(`${stage.gpu}.*${stage.layerCount} layers`));
  }
  assert.equal(await win.byTestId('plan-aggregate').textContent(), `${cli.plan.estimates.aggregateTokensPerSecond.toFixed(1)} tok/s`);
  assert.equal(await page.locator('.plan-stage.bottleneck').count(), 1, 'the bottleneck is marked');
  assert.match((await win.byTestId('plan-what-if-note').textContent()) ?? '', /hypothetical catalog GPUs/);
  assert.equal(await win.byTestId('plan-what-if').locator('tbody tr').count(), 8);

  await win.byTestId('plan-save').click();
  await win.byTestId('plan-id').waitFor();
  const planId = ((await win.byTestId('plan-id').textContent()) ?? '').replace('saved as ', '');
  fs.mkdirSync(path.join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(REPO_ROOT, 'test', 'artifacts', 'plan.png'), fullPage: true });
  await expectAccessible(page, 'the Plan page with a saved what-if plan');
  const stored = await runOutpost(['--data-dir', dataDir, 'plans', 'show', planId, '--json']);
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal((JSON.parse(stored.stdout) as { id: string }).id, planId);

  await win.byTestId('plan-quant').selectOption('F16');
  await win.byTestId('plan-run').click();
  await win.byTestId('plan-infeasible').waitFor();
  assert.match((await win.byTestId('plan-infeasible').textContent()) ?? '', /needs \d+\.\d GB, \d+\.\d GB usable; fits with/);
  await expectAccessible(page, 'the Plan page with a plan that does not fit');
});

test('the Plan page offers GGUF files found on discovered nodes and plans from the header read on the node', { skip: sshdUnavailable, timeout: 120_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  assert.equal((await outpost('keys', 'init', '--site-id', 'e2e-plan')).code, 0);
  const port = await commonFreePort([`127.0.0.${NODE_SITE}`], process.pid + 7);
  const site = await startSimulatedSite({ profiles: ['a10g-box'], authorizedKey: fs.readFileSync(path.join(dataDir, 'keys/id_ed25519.pub'), 'utf8'), firstAddress: NODE_SITE, port });
  t.after(() => site.stop());
  const scan = await outpost('discover', `127.0.0.${NODE_SITE}:${port}`, '--user', site.user);
  assert.equal(scan.code, 0, scan.stderr);

  const { url } = await startSiteService(t, dataDir);
  const { page, win } = await openOutpostWindow(t, url, { width: 1280, height: 1300 });
  await win.goTo('plan');

  const file = `/home/${site.user}/models/llama-3.1-8b-instruct-Q4_K_M.gguf`;
  const choice = page.locator('[data-testid="plan-model"] optgroup[label="GGUF files on discovered nodes"] option', { hasText: file });
  await choice.waitFor({ state: 'attached' });
  assert.match((await choice.textContent()) ?? '', /^on gpu-a10g-01: .*llama-3\.1-8b-instruct-Q4_K_M\.gguf \(4\.6 GiB\)$/);
  assert.equal(await page.locator('[data-testid="plan-model"] optgroup option').count(), 2, 'both GGUF files of the node are offered');
  await win.byTestId('plan-model').selectOption({ label: (await choice.textContent()) ?? '' });
  await win.byTestId('plan-node-file-note').waitFor();
  await win.byTestId('plan-node-gpu-a10g-01').check();
  assert.equal(await page.getByLabel('remove GPU').count(), 0, 'only the ticked node: no what-if rows unless added');

  await win.byTestId('plan-save').click();
  await win.byTestId('plan-id').waitFor({ timeout: 30_000 });
  assert.match((await win.byTestId('plan-model-source').textContent()) ?? '', new RegExp(`32 layers, llama, from the GGUF header of gpu-a10g-01:${file.replace(/\./g, '\\.')} \\(digest [0-9a-f]{12}…\\)`));
  assert.match((await win.byTestId('plan-stage-0').textContent()) ?? '', /A10G.*32 layers/);
  fs.mkdirSync(path.join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(REPO_ROOT, 'test', 'artifacts', 'plan-node-gguf.png'), fullPage: true });
  await expectAccessible(page, 'the Plan page planning a node file');

  const planId = ((await win.byTestId('plan-id').textContent()) ?? '').replace('saved as ', '');
  const stored = JSON.parse((await outpost('plans', 'show', planId, '--json')).stdout) as { plan: { model: { nodeFile?: { node: string; path: string; headerDigest: string } } } };
  const listed = (JSON.parse((await outpost('--json', 'nodes')).stdout) as Array<{ inventory: { modelFiles: Array<{ path: string; headerDigest: string }> } }>)[0]?.inventory.modelFiles.find((f) => f.path === file);
  assert.deepEqual({ node: stored.plan.model.nodeFile?.node, path: stored.plan.model.nodeFile?.path, digest: stored.plan.model.nodeFile?.headerDigest }, { node: 'gpu-a10g-01', path: file, digest: listed?.headerDigest });
});
