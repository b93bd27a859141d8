import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import { runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const storedPlans = (dataDir: string) => {
  const db = new Database(path.join(dataDir, 'outpost.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM plans').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

test('outpost plan stores a feasible plan that plans show returns whole, cost table included', async (t) => {
  const dataDir = tempDir(t);
  const made = await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Qwen2.5-32B', '--quant', 'Q5_K_M', '--gpus', '2xL4@edge-1,A10G@edge-2', '--parallel', '4', '--json']);
  assert.equal(made.code, 0, made.stderr);
  const { planId, plan } = JSON.parse(made.stdout) as { planId: string; plan: { feasible: boolean; costTable: { devices: unknown[] }; stages: Array<{ node: string }> } };
  assert.match(planId, /^plan-/);
  assert.equal(plan.feasible, true);
  assert.equal(plan.costTable.devices.length, 3, 'the cost table lists every device offered');
  const shown = JSON.parse((await runOutpost(['--data-dir', dataDir, 'plans', 'show', planId, '--json'])).stdout) as { plan: unknown };
  assert.deepEqual(shown.plan, plan);
  const listed = await runOutpost(['--data-dir', dataDir, 'plans']);
  assert.match(listed.stdout, new RegExp(`${planId}  .* Qwen2.5-32B Q5_K_M`));
});

test('--explain says why and what the other quantizations would give', async (t) => {
  const result = await runOutpost(['--data-dir', tempDir(t), 'plan', '--model', 'Llama-3.1-8B', '--gpus', 'T4,Jetson-Orin-NX-16GB', '--explain', '--no-save']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Why:\n/);
  assert.match(result.stdout, /What if:\n(\s+\S+ .*\n){8}/);
  assert.match(result.stdout, /Bottleneck: /);
});

test('an infeasible request says what it needs and what would fit, exits 1 and stores nothing', async (t) => {
  const dataDir = tempDir(t);
  const result = await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Llama-3.1-70B', '--quant', 'Q8_0', '--gpus', '2xA10G']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^outpost: Llama-3.1-70B Q8_0 does not fit on these devices — needs \d+\.\d GB, \d+\.\d GB usable; fits with Q\d/);
  assert.equal(storedPlans(dataDir), 0);
});

test('bad planner input: a specific error each time, nothing stored', async (t) => {
  const dataDir = tempDir(t);
  const cases: Array<[string[], number, RegExp]> = [
    [['--model', 'Llama-3.1-70B', '--gpus', 'A100'], 1, /Unknown GPU "A100".* — Did you mean "A100-40GB", "A100-80GB"/],
    [['--model', 'llama-3-70b', '--gpus', 'T4'], 1, /Unknown model "llama-3-70b".* — Did you mean "Llama-3.1-70B"/],
    [['--model', 'Llama-3.1-8B'], 1, /name the hardware: GPUs \(--gpus A100-80GB,T4\) or inventory nodes/],
    [['--model', 'Llama-3.1-8B', '--gpus', 'T4', '--context', '0'], 1, /context/i],
    [['--model', 'Llama-3.1-8B', '--gpus', 'T4', '--context', '999999'], 1, /context/i],
    [['--model', 'Llama-3.1-8B', '--gpus', '0xT4'], 2, /"0xT4": a count from 1 to 256/],
    [['--model', 'Llama-3.1-8B', '--nodes', 'rack-9'], 1, /there is no node named "rack-9" in the inventory/],
    [['--model', '/nonexistent/model.gguf', '--gpus', 'T4'], 1, /model\.gguf/],
  ];
  for (const [args, code, message] of cases) {
    const result = await runOutpost(['--data-dir', dataDir, 'plan', ...args]);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
  assert.equal(storedPlans(dataDir), 0);
});

test('--nodes plans onto the inventory: the workstation is a CPU node with its RAM', async (t) => {
  const dataDir = tempDir(t);
  assert.equal((await runOutpost(['--data-dir', dataDir, 'local'])).code, 0);
  const result = await runOutpost(['--data-dir', dataDir, 'plan', '--model', 'Llama-3.2-1B', '--quant', 'Q4_K_M', '--nodes', 'workstation', '--json', '--no-save']);
  assert.equal(result.code, 0, result.stderr);
  const { plan } = JSON.parse(result.stdout) as { plan: { stages: Array<{ gpu: string; node: string }> } };
  assert.deepEqual(
    plan.stages.map((s) => [s.gpu, s.node]),
    [['CPU', 'workstation']],
  );
});
