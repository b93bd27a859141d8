import { TIERS, type BreakerState, type Tier } from '../../../shared/domain/router.js';
import { HashRing } from './hash-ring.js';

/** One endpoint as the selector sees it at the moment of choosing. */
export interface Candidate {
  name: string;
  tier: Tier;
  inFlight: number;
  /** The breaker lets a request through now. */
  available: boolean;
  breaker: BreakerState;
  /** Expected TTFT for one more request (ms); null when unmeasured. */
  expectedTtftMs: number | null;
}

/** The endpoints serving one model, in tiers, each tier with its affinity ring. */
export interface ModelRoutes {
  model: string;
  tiers: Array<{ tier: Tier; names: string[]; ring: HashRing }>;
}

export interface RouteQuery {
  budgetMs: number | null;
  affinityKey: string | null;
  /** Endpoints already tried by this request. */
  exclude: ReadonlySet<string>;
  /** The bounded-load slack ε: no endpoint takes more than ⌈(1+ε)·(average load + 1)⌉ through affinity. */
  loadSlack: number;
  /** Rotates ties among equally loaded endpoints. */
  tieBreak: number;
}

export type RouteDecision = { ok: true; name: string; tier: Tier; by: 'affinity' | 'least-outstanding' } | { ok: false; overBudget: boolean; reason: string };

export function modelRoutes(model: string, endpoints: ReadonlyArray<{ name: string; tier: Tier }>): ModelRoutes {
  return {
    model,
    tiers: TIERS.map((tier) => {
      const names = endpoints
        .filter((e) => e.tier === tier)
        .map((e) => e.name)
        .sort();
      return { tier, names, ring: new HashRing(names) };
    }).filter((t) => t.names.length > 0),
  };
}

/**
 * The seed's tier order: the first tier (site → edge → upstream) that has an
 * endpoint whose breaker lets traffic through and whose expected TTFT fits the
 * budget wins. Within it, requests with a prompt prefix follow the consistent-hash
 * ring to the first endpoint under the bounded-load cap (so llama.cpp's prompt
 * cache is reused, yet one hot prefix spills over); the rest go to the endpoint
 * with the fewest outstanding requests.
 */
export function chooseEndpoint(routes: ModelRoutes, lookup: (name: string) => Candidate | undefined, query: RouteQuery): RouteDecision {
  const notes: string[] = [];
  let overBudget = false;
  for (const { tier, names, ring } of routes.tiers) {
    const fitting: Candidate[] = [];
    const why: string[] = [];
    for (const name of names) {
      const c = lookup(name);
      if (!c) continue;
      if (query.exclude.has(name)) why.push(`${name} failed this request`);
      else if (!c.available) why.push(`${name} breaker ${c.breaker}`);
      else if (query.budgetMs !== null && c.expectedTtftMs !== null && c.expectedTtftMs > query.budgetMs) {
        why.push(`${name} expects ${Math.round(c.expectedTtftMs)} ms with ${c.inFlight} in flight`);
        overBudget = true;
      } else fitting.push(c);
    }
    if (fitting.length > 0) return pick(tier, fitting, ring, query);
    notes.push(`${tier}: ${why.join(', ') || 'none'}`);
  }
  const budget = query.budgetMs === null ? '' : ` within ${query.budgetMs} ms`;
  return { ok: false, overBudget, reason: `no endpoint can serve ${routes.model}${budget} (${notes.join('; ')})` };
}

function pick(tier: Tier, fitting: Candidate[], ring: HashRing, query: RouteQuery): RouteDecision {
  if (query.affinityKey !== null && fitting.length > 1) {
    const total = fitting.reduce((sum, c) => sum + c.inFlight, 0);
    const cap = Math.ceil(((1 + query.loadSlack) * (total + 1)) / fitting.length);
    const byName = new Map(fitting.map((c) => [c.name, c]));
    for (const name of ring.walk(query.affinityKey)) {
      const c = byName.get(name);
      if (c && c.inFlight + 1 <= cap) return { ok: true, name, tier, by: 'affinity' };
    }
  }
  const least = Math.min(...fitting.map((c) => c.inFlight));
  const ties = fitting.filter((c) => c.inFlight === least);
  const chosen = ties[query.tieBreak % ties.length] as Candidate;
  return { ok: true, name: chosen.name, tier, by: 'least-outstanding' };
}
