import { performance } from 'node:perf_hooks';
import type { SupervisedRouter } from '../../shared/domain/router.js';
import type { ListenAddress } from './core/listen-address.js';

/** A router process the supervisor started. */
export interface RouterChild {
  pid: number | null;
  /** Resolves with the router's URL once it listens. */
  listening: Promise<{ url: string }>;
  /** Resolves with how it ended (exit code or signal, and its last line of error output). */
  exited: Promise<string>;
  /** It starts loaded and waiting; this makes it take the lock and listen. */
  activate(): void;
  stop(): void;
}

const ADOPTED_WATCH_MS = 100;

export interface RouterSupervisorDeps {
  /** Starts a router process (loaded, waiting to be activated) that will listen on `address`. */
  spawn: (address: ListenAddress) => RouterChild;
  /** Where the router listens when the supervisor starts. */
  address: ListenAddress;
  /** The live process holding the data dir's router lock, if any. */
  lockHolder: () => number | null;
  /** What the last supervisor wrote about its router (read at start, to adopt a router that outlived its core). */
  previousState: () => SupervisedRouter | null;
  alive: (pid: number) => boolean;
  /** Asks a router this supervisor did not start (an adopted one) to stop, and waits for it. */
  stopPid: (pid: number) => void;
  /** Copies the router's new retry lines into the ops journal. */
  journalRetries: () => number;
  writeState: (state: SupervisedRouter) => void;
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
  tickMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A router that ran this long before dying is restarted at once, and starts the backoff over. */
  stableMs: number;
}

/**
 * Runs the router for the app's long-lived core: starts it as a child, restarts it when it dies (at once after a
 * stable run, then with capped exponential backoff), stops it with the core. A router outlives a core that is
 * killed (the site's traffic must not depend on it): the next core adopts it — the router its predecessor
 * supervised, found by the lock's pid — and watches it as its own. A router the app did not start (a technician's
 * `outpost router`) is left alone and reported. Every tick it also copies the router's retries into the ops
 * journal: the router process only reads the store, so this is where its retries become journal entries.
 * Durations are measured on a monotonic clock: a wall clock stepped back must not hold a restart back.
 */
export class RouterSupervisor {
  private child: RouterChild | null = null;
  /** Started, loaded and waiting: it replaces a router that dies without the seconds a process takes to start. */
  private standby: RouterChild | null = null;
  /** A router left running by a core that died, now watched by this one. */
  private adopted: number | null = null;
  /** An adopted router is not our child: no exit event tells us it died, so it is looked at this often. */
  private adoptedWatch: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failuresInARow = 0;
  private nextStartAt = 0;
  private state: SupervisedRouter;
  private address: ListenAddress;

  constructor(private readonly deps: RouterSupervisorDeps) {
    this.address = deps.address;
    this.state = { state: 'starting', supervisorPid: process.pid, pid: null, url: null, restarts: 0, lastExit: null, nextStartAt: null, updatedAt: deps.now().toISOString() };
  }

  start(): void {
    this.tick();
  }

  current(): SupervisedRouter {
    return this.state;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.child?.stop();
    this.child = null;
    this.standby?.stop();
    this.standby = null;
    clearInterval(this.adoptedWatch);
    if (this.adopted !== null) this.deps.stopPid(this.adopted);
    this.adopted = null;
    this.journal();
    this.update({ state: 'stopped', pid: null, url: null, nextStartAt: null });
  }

  private tick(): void {
    if (this.stopped) return;
    this.journal();
    this.startIfDue();
    this.timer = setTimeout(() => this.tick(), this.deps.tickMs);
    this.timer.unref();
  }

  private startIfDue(): void {
    if (this.stopped || this.child || this.adopted !== null || performance.now() < this.nextStartAt) return;
    const holder = this.deps.lockHolder();
    if (holder === null) {
      this.launch();
      return;
    }
    const previous = this.deps.previousState();
    const leftByDeadCore = previous?.pid === holder && previous.supervisorPid !== process.pid && !this.deps.alive(previous.supervisorPid);
    if (leftByDeadCore) {
      this.adopted = holder;
      this.deps.log('router adopted: it outlived the core that started it', { pid: holder, formerSupervisor: previous.supervisorPid });
      this.update({ state: 'running', pid: holder, url: previous.url, nextStartAt: null });
      this.adoptedWatch = setInterval(() => {
        if (this.adopted !== null && !this.deps.alive(this.adopted)) this.adoptedEnded();
      }, ADOPTED_WATCH_MS);
      this.adoptedWatch.unref();
      this.prepareStandby();
    } else if (this.state.state !== 'external' || this.state.pid !== holder) {
      this.update({ state: 'external', pid: holder, url: null, nextStartAt: null });
    }
  }

  private adoptedEnded(): void {
    clearInterval(this.adoptedWatch);
    const pid = this.adopted;
    this.adopted = null;
    this.failuresInARow = 0;
    this.nextStartAt = 0;
    this.deps.log('the adopted router ended; starting a new one', { pid });
    this.update({ state: 'restarting', pid: null, url: null, restarts: this.state.restarts + 1, lastExit: 'the adopted router ended', nextStartAt: null });
    this.startIfDue();
  }

  private prepareStandby(): void {
    if (this.stopped || this.standby) return;
    const standby = this.deps.spawn(this.address);
    this.standby = standby;
    void standby.exited.then((how) => {
      if (this.standby !== standby) return;
      this.standby = null;
      this.deps.log('the standby router ended before it was needed', { pid: standby.pid, how });
    });
  }

  /**
   * Moves the router to another address: the running one stops (its streams get the router's grace), a router on
   * the new address starts. When that one cannot listen, a router on the old address is started again and the
   * reason is thrown: the caller checked the address first, so this only happens when something took it since.
   */
  async relisten(address: ListenAddress, timeoutMs = 20_000): Promise<string> {
    if (this.stopped) throw new Error('the router supervisor is stopped');
    if (this.state.state === 'external') throw new Error(`a router started outside the app (pid ${String(this.state.pid)}) holds the data dir`);
    const previous = this.address;
    this.retireRunning();
    this.address = address;
    const child = this.launch();
    const outcome = await Promise.race([
      child.listening.then(({ url }) => ({ url })),
      child.exited.then((how) => ({ failed: how })),
      new Promise<{ failed: string }>((resolve) => setTimeout(() => resolve({ failed: `it did not listen within ${timeoutMs / 1000} s` }), timeoutMs).unref()),
    ]);
    if ('url' in outcome) return outcome.url;
    this.deps.log('the router could not listen on its new address; going back', { address, how: outcome.failed });
    this.retireRunning();
    this.address = previous;
    this.launch();
    throw new Error(outcome.failed);
  }

  /** Stops the router and the standby without counting it as a restart: they listen on an address that is changing. */
  private retireRunning(): void {
    const child = this.child;
    this.child = null;
    child?.stop();
    this.standby?.stop();
    this.standby = null;
    if (this.adopted !== null) {
      clearInterval(this.adoptedWatch);
      this.deps.stopPid(this.adopted);
      this.adopted = null;
    }
    this.failuresInARow = 0;
    this.nextStartAt = 0;
  }

  private launch(): RouterChild {
    const child = this.standby ?? this.deps.spawn(this.address);
    this.standby = null;
    child.activate();
    this.prepareStandby();
    const startedAt = performance.now();
    this.child = child;
    this.update({ state: 'starting', pid: child.pid, url: null, nextStartAt: null });
    void child.listening.then(({ url }) => {
      if (this.child !== child) return;
      this.deps.log('router started', { pid: child.pid, url });
      this.update({ state: 'running', url });
    });
    void child.exited.then((how) => {
      if (this.child !== child) return;
      this.child = null;
      const ranMs = performance.now() - startedAt;
      // Applications retry a refused connection for a second or two: a router that had been serving comes back
      // at once; one that keeps dying waits longer each time.
      this.failuresInARow = ranMs >= this.deps.stableMs ? 0 : this.failuresInARow + 1;
      const delay = this.failuresInARow === 0 ? 0 : Math.min(this.deps.backoffCapMs, this.deps.backoffBaseMs * 2 ** (this.failuresInARow - 1));
      this.nextStartAt = performance.now() + delay;
      this.deps.log('router ended; restarting', { pid: child.pid, how, delayMs: delay });
      this.update({ state: 'restarting', pid: null, url: null, restarts: this.state.restarts + 1, lastExit: how, nextStartAt: new Date(this.deps.now().getTime() + delay).toISOString() });
      if (delay === 0) this.startIfDue();
    });
    return child;
  }

  private journal(): void {
    try {
      this.deps.journalRetries();
    } catch (error) {
      this.deps.log('could not copy router retries into the journal', { error: String(error) });
    }
  }

  private update(patch: Partial<SupervisedRouter>): void {
    this.state = { ...this.state, ...patch, updatedAt: this.deps.now().toISOString() };
    try {
      this.deps.writeState(this.state);
    } catch (error) {
      this.deps.log('could not write the router supervisor state', { error: String(error) });
    }
  }
}
