import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { runOutpost } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

test('`outpost plan delete` and `outpost plans delete` delete a stored plan (journaled); `outpost workers stop X` reads as `outpost stop X`', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const outpost = (...args: string[]) => runOutpost(['--data-dir', dataDir, ...args]);
  const saved = async (): Promise<string> => {
    const planned = await outpost('plan', '--model', 'Llama-3.1-8B', '--gpus', 'A100-80GB', '--json');
    assert.equal(planned.code, 0, planned.stderr);
    return (JSON.parse(planned.stdout) as { planId: string }).planId;
  };
  const first = await saved();
  const second = await saved();

  const deleted = await outpost('plan', 'delete', first);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout.trim(), `deleted ${first}`);
  assert.equal((await outpost('plans', 'delete', second)).code, 0);
  assert.match((await outpost('plans')).stdout, /no stored plans yet/);
  const again = await outpost('plans', 'delete', first);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`^outpost: there is no plan ${first} — see \`outpost plans\``));
  const journal = JSON.parse((await outpost('journal', '--json')).stdout) as Array<{ action: string; outcome: string }>;
  assert.equal(journal.filter((e) => e.action === 'planner.delete' && e.outcome === 'ok').length, 2);

  // Parsed as a stop (the deployment is looked up), not refused as "too many arguments".
  for (const args of [
    ['workers', 'stop', 'dep-abcd1234'],
    ['stop', 'dep-abcd1234'],
  ]) {
    const stop = await outpost(...args);
    assert.equal(stop.code, 1);
    assert.match(stop.stderr, /^outpost: there is no deployment dep-abcd1234 — /, args.join(' '));
  }
  const listed = await outpost('workers', '--all');
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /no deployments/);
});
