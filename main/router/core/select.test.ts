import assert from 'node:assert/strict';
import test from 'node:test';
import type { Tier } from '../../../shared/domain/router.js';
import { expectedTtftMs, DecayingLatency } from './latency.js';
import { chooseEndpoint, modelRoutes, type Candidate } from './select.js';

function table(specs: Array<Partial<Candidate> & { name: string; tier: Tier }>) {
  const byName = new Map(specs.map((s) => [s.name, { inFlight: 0, available: true, breaker: 'closed' as const, expectedTtftMs: null, ...s }]));
  return { routes: modelRoutes('m', specs), lookup: (n: string) => byName.get(n), byName };
}
const query = { budgetMs: null, affinityKey: null, exclude: new Set<string>(), loadSlack: 0.25, tieBreak: 0 };

test('tiers in the seed order: site, then edge, then upstream, skipping open breakers and failed endpoints', () => {
  const t = table([
    { name: 'cloud', tier: 'upstream' },
    { name: 'dc', tier: 'edge' },
    { name: 'gpu', tier: 'site', available: false, breaker: 'open' },
  ]);
  const first = chooseEndpoint(t.routes, t.lookup, query);
  assert.deepEqual(first, { ok: true, name: 'dc', tier: 'edge', by: 'least-outstanding' });
  const second = chooseEndpoint(t.routes, t.lookup, { ...query, exclude: new Set(['dc']) });
  assert.equal(second.ok && second.name, 'cloud');
  const none = chooseEndpoint(t.routes, t.lookup, { ...query, exclude: new Set(['dc', 'cloud']) });
  assert.deepEqual(none, { ok: false, overBudget: false, reason: 'no endpoint can serve m (site: gpu breaker open; edge: dc failed this request; upstream: cloud failed this request)' });
});

test('a latency budget skips endpoints whose expected TTFT is over it; unmeasured ones get the benefit of the doubt', () => {
  const t = table([
    { name: 'slow', tier: 'site', expectedTtftMs: 400 },
    { name: 'dc', tier: 'edge', expectedTtftMs: 90 },
    { name: 'new', tier: 'upstream' },
  ]);
  assert.equal(chooseEndpoint(t.routes, t.lookup, { ...query, budgetMs: 100 }).ok && 'dc', 'dc');
  const tight = chooseEndpoint(t.routes, t.lookup, { ...query, budgetMs: 50, exclude: new Set(['new']) });
  assert.equal(tight.ok, false);
  assert.ok(!tight.ok && tight.overBudget);
  assert.match(!tight.ok ? tight.reason : '', /within 50 ms \(site: slow expects 400 ms with 0 in flight; edge: dc expects 90 ms/);
});

test('least outstanding within a tier, ties rotated', () => {
  const t = table([
    { name: 'a', tier: 'site', inFlight: 3 },
    { name: 'b', tier: 'site', inFlight: 1 },
    { name: 'c', tier: 'site', inFlight: 1 },
  ]);
  const picks = [0, 1, 2, 3].map((tieBreak) => {
    const d = chooseEndpoint(t.routes, t.lookup, { ...query, tieBreak });
    return d.ok ? d.name : '';
  });
  assert.deepEqual(picks, ['b', 'c', 'b', 'c']);
});

test('prefix affinity sends one prefix to one endpoint until the bounded-load cap, then spills to the next on the ring', () => {
  const names = ['w1', 'w2', 'w3', 'w4'];
  const t = table(names.map((name) => ({ name, tier: 'site' as const })));
  const key = 'system: you are a radiology assistant\nuser: describe';
  const home = chooseEndpoint(t.routes, t.lookup, { ...query, affinityKey: key });
  assert.ok(home.ok && home.by === 'affinity');
  const homeName = home.ok ? home.name : '';
  // The same prefix keeps going home while home is under ⌈1.25·(total+1)/4⌉.
  const placed: string[] = [];
  for (let i = 0; i < 40; i += 1) {
    const d = chooseEndpoint(t.routes, t.lookup, { ...query, affinityKey: key });
    const name = d.ok ? d.name : '';
    placed.push(name);
    const c = t.byName.get(name);
    if (c) c.inFlight += 1;
    const total = [...t.byName.values()].reduce((s, x) => s + x.inFlight, 0);
    for (const x of t.byName.values()) assert.ok(x.inFlight <= Math.ceil((1.25 * total) / 4) + 1, 'no endpoint exceeds the bound');
  }
  assert.equal(placed[0], homeName);
  assert.ok(placed.filter((p) => p === homeName).length >= 10 && placed.filter((p) => p === homeName).length <= 13, 'home takes about its bounded share');
  assert.equal(new Set(placed).size, 4, 'a hot prefix spills over to every worker');
  // Different prefixes spread over the ring.
  const idle = table(names.map((name) => ({ name, tier: 'site' as const })));
  const homes = new Set(
    Array.from({ length: 64 }, (_, i) => {
      const d = chooseEndpoint(idle.routes, idle.lookup, { ...query, affinityKey: `prefix number ${i}` });
      return d.ok ? d.name : '';
    }),
  );
  assert.equal(homes.size, 4);
});

test('expected TTFT adds the queue behind full slots; the decaying estimate follows a slowdown and forgets when stale', () => {
  assert.equal(expectedTtftMs({ ttftMs: 100, durationMs: 1000, inFlight: 1, slots: 2 }), 100);
  assert.equal(expectedTtftMs({ ttftMs: 100, durationMs: 1000, inFlight: 3, slots: 2 }), 100 + (2 * 1000) / 2);
  assert.equal(expectedTtftMs({ ttftMs: null, durationMs: null, inFlight: 9, slots: 1 }), null);
  const latency = new DecayingLatency(30_000);
  latency.record(100, 0);
  for (let t = 1; t <= 10; t += 1) latency.record(500, t);
  const after = latency.estimate(10) as number;
  assert.ok(after > 400 && after < 500, `a burst of slow samples moves the estimate (${after})`);
  latency.record(100, 20_000);
  assert.ok((latency.estimate(20_000) as number) < 200, 'a sample after a quiet spell counts almost fully');
  assert.equal(latency.estimate(60_000), null, 'forgotten after its memory');
});
