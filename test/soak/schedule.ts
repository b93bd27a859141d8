// The chaos soak's fault plan: which fault comes next, against what, after how long a calm spell, all drawn from
// one seed so a run that found something can be replayed fault for fault.
import { seededRandom } from '../../main/planner/core/seeded-random.js';

export const FAULT_KINDS = ['head-kill', 'rpc-kill', 'tunnel-kill', 'sshd-stop', 'router-kill', 'core-kill', 'sshd-restart', 'disk-full', 'clock-back'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults aimed at one deployment's worker process; the rest aim at a host or at the workstation. */
export const WORKER_KILLS: readonly FaultKind[] = ['head-kill', 'rpc-kill', 'tunnel-kill'];
export const HOST_FAULTS: readonly FaultKind[] = ['sshd-stop', 'sshd-restart'];

/** How long a SIGSTOPped sshd stays stopped (the 20 s). */
export const SSHD_STOP_MS = 20_000;

export interface PlannedFault {
  kind: FaultKind;
  /** Index of the deployment (worker kills) or the host (sshd faults) it aims at; 0 for the rest. */
  target: number;
  /** Steady load without a fault before this one is injected. */
  calmMs: number;
  /** How long the fault is held before it is undone (sshd stopped, disk kept full); 0 for one-shot faults. */
  holdMs: number;
}

/** A fault named on the command line (`rpc-kill` or `rpc-kill:1`, the number its target), to replay a finding. */
export interface NamedFault {
  kind: FaultKind;
  target?: number;
}

export function parseFaultList(list: string): NamedFault[] {
  return list.split(',').map((item) => {
    const [kind, target] = item.trim().split(':');
    if (!FAULT_KINDS.includes(kind as FaultKind)) throw new Error(`--faults: "${kind}" is not a fault (${FAULT_KINDS.join(', ')})`);
    if (target !== undefined && !/^\d+$/.test(target)) throw new Error(`--faults: the target in "${item}" is not a whole number`);
    return target === undefined ? { kind: kind as FaultKind } : { kind: kind as FaultKind, target: Number(target) };
  });
}

/**
 * Rounds of every fault kind, each round in its own seeded order, so even a short run meets every kind once and
 * a long one meets them again in other orders and against other targets. Given a list, every round is that list.
 */
export class FaultSchedule {
  private readonly random: () => number;
  private round: NamedFault[] = [];
  private served = 0;
  private readonly kinds: readonly FaultKind[];

  constructor(
    seed: number,
    private readonly shape: { deployments: number; hosts: number; calmMs: readonly [number, number]; diskFullMs: readonly [number, number] },
    kinds: readonly FaultKind[] = FAULT_KINDS,
    private readonly list?: readonly NamedFault[],
  ) {
    this.random = seededRandom(seed);
    this.kinds = list ? list.map((f) => f.kind) : kinds;
  }

  /** Faults handed out so far, over whole rounds: a run stops only after it completed its first round. */
  get completedRounds(): number {
    return Math.floor(this.served / this.kinds.length);
  }

  next(): PlannedFault {
    if (this.round.length === 0) this.round = this.list ? [...this.list] : this.shuffled().map((kind) => ({ kind }));
    const { kind, target: named } = this.round.shift() as NamedFault;
    this.served += 1;
    const drawn = WORKER_KILLS.includes(kind) ? this.below(this.shape.deployments) : HOST_FAULTS.includes(kind) ? this.below(this.shape.hosts) : 0;
    const target = named ?? drawn;
    const holdMs = kind === 'sshd-stop' ? SSHD_STOP_MS : kind === 'disk-full' ? this.between(this.shape.diskFullMs) : 0;
    return { kind, target, calmMs: this.between(this.shape.calmMs), holdMs };
  }

  private shuffled(): FaultKind[] {
    const order = [...this.kinds];
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = this.below(i + 1);
      [order[i], order[j]] = [order[j] as FaultKind, order[i] as FaultKind];
    }
    return order;
  }

  private below(n: number): number {
    return Math.floor(this.random() * n);
  }

  private between([low, high]: readonly [number, number]): number {
    return Math.round(low + this.random() * (high - low));
  }
}
