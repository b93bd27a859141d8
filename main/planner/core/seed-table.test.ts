import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSeedTable, seedRows } from './seed-table.js';

test("the seed's five Llama 3.1 70B configurations through the planner, beside the seed's figures", () => {
  const rows = seedRows();
  console.log(`\n${formatSeedTable(rows)}\n`);
  assert.equal(rows.length, 5);
  for (const row of rows) {
    if (!row.single.feasible) continue;
    const e = row.single.estimates;
    // Sane, not tuned: a 70B pipeline decodes at a few to a few hundred tokens/s and prefills in well under a minute.
    assert.ok(e.aggregateTokensPerSecond > 1 && e.aggregateTokensPerSecond < 1000, `${row.label}: ${e.aggregateTokensPerSecond}`);
    assert.ok(e.singleStreamTokensPerSecond <= e.aggregateTokensPerSecond * (1 + 1e-9));
    assert.ok(e.ttftMs > 10 && e.ttftMs < 60_000);
  }
  // The seed claims 2x A10G holds 70B Q4_K_M; with an 8K KV cache it does not in this model, and the row says so.
  const quantized = rows[4]!;
  assert.equal(quantized.single.feasible, false);
  assert.ok(quantized.notes.some((n) => n.startsWith('does not hold')));
  assert.equal(rows[0]!.single.feasible, true);
});
