import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from '../../shared/domain/workers.js';
import { runOutpost } from '../helpers/cli.js';
import { sshdFleetUnavailableReason } from '../helpers/sshd.js';
import { startWorkersBench, type WorkersBench } from '../helpers/workers.js';
import { cpuWorkerProfile } from '../fixtures/workers-site/workers-site.js';

const FIRST = 177; // this file's loopback block: 127.0.0.177–178
const unavailable = await sshdFleetUnavailableReason(FIRST);
if (unavailable && (process.env.CI ?? 'false') !== 'false') throw new Error(`sshd fleet required in CI but unavailable: ${unavailable}`);

describe('plan vs actual on the simulated site with real llama.cpp', { skip: unavailable }, () => {
  let bench: WorkersBench;
  let deployment: Deployment;

  before(async () => {
    bench = await startWorkersBench({ firstAddress: FIRST, seed: 31, profiles: { 'pa-a': cpuWorkerProfile('actual-a'), 'pa-b': cpuWorkerProfile('actual-b') } });
  });
  after(async () => {
    if (deployment) await bench.call('workers.stop', { deployment: deployment.id }).catch(() => undefined);
    await bench?.close();
  });

  test('a launch measures tokens/s, TTFT and each stage from the load log, beside the estimates; GPU memory is "not measured" on CPU hosts', async (t) => {
    const planId = await bench.plan(await bench.nodeNames());
    deployment = await bench.call('workers.launch', { planId, user: bench.site.user, port: 19300 + (process.pid % 400) });
    assert.equal(deployment.state, 'ready', deployment.detail ?? '');
    const actuals = deployment.actuals;
    assert.ok(actuals, 'the launch measured its deployment');
    t.diagnostic(`plan vs actual: ${JSON.stringify(actuals)}`);
    assert.ok((actuals.tokensPerSecond ?? 0) > 0 && (actuals.ttftMs ?? 0) > 0, JSON.stringify(actuals));
    assert.ok((actuals.estimatedTokensPerSecond ?? 0) > 0 && (actuals.estimatedTtftMs ?? 0) > 0);
    assert.equal(actuals.stages.length, 2);
    for (const stage of actuals.stages) {
      assert.ok((stage.loadLogBytes ?? 0) > 0, `stage ${stage.index} read from the load log: ${JSON.stringify(stage)}`);
      assert.ok(stage.estimatedBytes > 0);
      assert.equal(stage.gpuUsedBytes, null);
      assert.match(stage.note ?? '', /GPU memory not measured: a CPU stage has no nvidia-smi/);
    }
    // Every sample was judged: accepted into calibration or rejected with its reason (and journaled).
    const { accepted, rejected } = actuals.calibration;
    assert.ok(accepted.length + rejected.length >= 2, JSON.stringify(actuals.calibration));
    const journal = await bench.call('system.journal', { limit: 50 });
    for (const r of rejected) assert.ok(journal.some((e) => e.action === 'planner.calibration-rejected' && e.detail === r.reason));
    assert.ok(accepted.length > 0, `at least one sample calibrates: ${JSON.stringify(actuals.calibration)}`);

    const listed = await runOutpost(['--data-dir', bench.dataDir, '--json', 'workers']);
    assert.equal(listed.code, 0, listed.stderr);
    const fromCli = (JSON.parse(listed.stdout) as Deployment[]).find((d) => d.id === deployment.id);
    assert.deepEqual(fromCli?.actuals, actuals, '`outpost workers --json` shows the same plan vs actual');
    const human = await runOutpost(['--data-dir', bench.dataDir, 'workers']);
    assert.match(human.stdout, /plan vs actual/);
    assert.match(human.stdout, /tokens\/s {2}estimated [\d.]+ {2}actual [\d.]+/);
  });

  test('the next plan applies the stored calibration and its explanation names it; --no-calibrate plans with the bare model', async () => {
    const records = await bench.call('planner.calibration', {});
    const cpu = records.find((r) => r.gpu === 'CPU' && r.engine === 'llama.cpp' && r.origin === 'site');
    assert.ok(cpu && cpu.provenance[0]?.deploymentId === deployment.id && cpu.provenance[0]?.site === 'workers-test', JSON.stringify(records));
    const nodes = await bench.nodeNames();
    const request = { model: bench.modelFile, context: 2048, parallel: nodes.length, devices: nodes.map((node) => ({ gpu: 'CPU', node, memoryGB: 2, bandwidthGBs: 1 })), nodes: nodes.map((name) => ({ name })), save: false };
    const { plan } = await bench.call('planner.plan', request);
    assert.ok(plan.feasible);
    assert.deepEqual(
      plan.calibration.map((c) => [c.gpu, c.engine, c.quant, c.origin]),
      [['CPU', 'llama.cpp', plan.model.quant, 'site']],
    );
    assert.ok(
      plan.explanation.some((line) => line.startsWith('Calibrated: CPU llama.cpp') && line.includes(deployment.id)),
      plan.explanation.join('\n'),
    );
    const bare = await bench.call('planner.plan', { ...request, calibrate: false });
    assert.deepEqual(bare.plan.calibration, []);
    const cli = await runOutpost(['--data-dir', bench.dataDir, 'plan', '--model', bench.modelFile, '--nodes', nodes.join(','), '--context', '2048', '--explain', '--no-save']);
    assert.match(cli.stdout, /Calibrated: CPU llama\.cpp/, cli.stdout + cli.stderr);
  });
});
