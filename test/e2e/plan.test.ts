import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { REPO_ROOT, runOutpost } from '../helpers/cli.js';
import { launchChromium, startOutpostUi } from '../helpers/browser-mode.js';
import { tempDir } from '../helpers/temp.js';
import { OutpostWindow } from './pages/outpost-window.js';

test('the Plan page draws the stages of a real plan, saves it, and says why an impossible one fails', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const { url } = await startOutpostUi(t, dataDir);
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
  const win = new OutpostWindow(page);
  await win.open(url);
  await win.goTo('plan');

  await win.byTestId('plan-parallel').fill('8');
  await win.byTestId('plan-run').click();
  await win.byTestId('plan-stages').waitFor();
  // The same request through the CLI must give the same plan: one core behind both.
  const cli = JSON.parse(
    (await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Llama-3.1-70B', '--quant', 'Q4_K_M', '--parallel', '8', '--gpus', 'A100-80GB@srv-a100,L40S@srv-l40s,T4@srv-t4', '--no-save', '--json'])).stdout,
  ) as { plan: { stages: Array<{ gpu: string; layerCount: number }>; estimates: { aggregateTokensPerSecond: number } } };
  assert.equal(await page.locator('.plan-stage').count(), cli.plan.stages.length);
  for (const [i, stage] of cli.plan.stages.entries()) {
    assert.match((await win.byTestId(`plan-stage-${i}`).textContent()) ?? '', new RegExp(`${stage.gpu}.*${stage.layerCount} layers`));
  }
  assert.equal(await win.byTestId('plan-aggregate').textContent(), `${cli.plan.estimates.aggregateTokensPerSecond.toFixed(1)} tok/s`);
  assert.equal(await page.locator('.plan-stage.bottleneck').count(), 1, 'the bottleneck is marked');
  assert.equal(await win.byTestId('plan-what-if').locator('tbody tr').count(), 8);

  await win.byTestId('plan-save').click();
  await win.byTestId('plan-id').waitFor();
  const planId = ((await win.byTestId('plan-id').textContent()) ?? '').replace('saved as ', '');
  fs.mkdirSync(path.join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(REPO_ROOT, 'test', 'artifacts', 'plan.png'), fullPage: true });
  const stored = await runOutpost(['--data-dir', dataDir, 'plans', 'show', planId, '--json']);
  assert.equal(stored.code, 0, stored.stderr);
  assert.equal((JSON.parse(stored.stdout) as { id: string }).id, planId);

  await win.byTestId('plan-quant').selectOption('F16');
  await win.byTestId('plan-run').click();
  await win.byTestId('plan-infeasible').waitFor();
  assert.match((await win.byTestId('plan-infeasible').textContent()) ?? '', /needs \d+\.\d GB, \d+\.\d GB usable; fits with/);
});
