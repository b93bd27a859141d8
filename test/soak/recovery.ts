// When the site counts as recovered from a fault, and what the router counted meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../../shared/domain/workers.js';
import type { Injected, SoakWorld } from './faults.js';
import type { SteadyLoad } from './load.js';

export interface Recovery {
  recoveredAt: number | null;
  note: string | null;
  /** The router answered /healthz again (watched for every fault; it matters after a router or core kill). */
  routerBackAt: number | null;
}

export async function routerAnswers(routerUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${routerUrl}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

function readyAfter(d: Deployment | undefined, killed: Injected['killed']): boolean {
  if (d?.state !== 'ready') return false;
  return killed === null || d.workers.some((w) => w.name === killed.worker && w.pid !== null && w.pid !== killed.pid);
}

/**
 * Recovered: the hit deployment (or every deployment) is ready again, a killed worker under a new pid, and a
 * request that started after that went through the router and ended well (served by the hit deployment, when
 * there is one). The moment is that request's end.
 */
export async function awaitRecovery(world: SoakWorld, load: SteadyLoad, routerUrl: string, injected: Injected, timeoutMs: number): Promise<Recovery> {
  const deadline = injected.undoneAt + timeoutMs;
  let readySince: number | null = null;
  let routerBackAt: number | null = null;
  let last: Deployment[] = [];
  for (;;) {
    if (routerBackAt === null && (await routerAnswers(routerUrl))) routerBackAt = Date.now();
    last = await world.bench.call('workers.list', { all: true });
    const watched = injected.victim ? [injected.victim] : world.deploymentIds;
    if (
      watched.every((id) =>
        readyAfter(
          last.find((d) => d.id === id),
          injected.victim === id ? injected.killed : null,
        ),
      )
    )
      readySince ??= Date.now();
    else readySince = null;
    if (readySince !== null) {
      const served = load.succeededSince(Math.max(readySince, injected.undoneAt), injected.victim ?? undefined);
      if (served) return { recoveredAt: served.endedAt, note: null, routerBackAt };
    }
    if (Date.now() > deadline) {
      const states = last.map((d) => `${d.id} ${d.state}${d.detail ? ` (${d.detail.slice(0, 160)})` : ''}`).join('; ');
      return { recoveredAt: null, note: `not recovered within ${timeoutMs / 1000} s: ${states}${routerBackAt === null ? '; the router does not answer' : ''}`, routerBackAt };
    }
    await sleep(250);
  }
}

/**
 * The router's migration counters (a metric whose name mentions migration), summed across the router's
 * restarts: a counter that went down belongs to a new router process and counts from zero.
 */
export class MigrationCounter {
  private present = false;
  private total = 0;
  private readonly last = new Map<string, number>();

  constructor(private readonly routerUrl: string) {}

  async scrape(): Promise<void> {
    let text: string;
    try {
      const response = await fetch(`${this.routerUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) return;
      text = await response.text();
    } catch {
      return; // the router is down: its successor's counters start from zero
    }
    for (const line of text.split('\n')) {
      if (!/migrat/i.test(line)) continue;
      this.present = true;
      const sample = /^([a-zA-Z_:][\w:]*_total)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!sample) continue;
      const key = `${sample[1]}${sample[2] ?? ''}`;
      const value = Number(sample[3]);
      const before = this.last.get(key) ?? 0;
      this.total += value >= before ? value - before : value;
      this.last.set(key, value);
    }
  }

  value(): number | null {
    return this.present ? this.total : null;
  }
}
