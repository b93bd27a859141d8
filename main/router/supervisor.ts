import type { SupervisedRouter } from '../../shared/domain/router.js';

/** A router process the supervisor started. */
export interface RouterChild {
  pid: number | null;
  /** Resolves with the router's URL once it listens. */
  listening: Promise<{ url: string }>;
  /** Resolves with how it ended (exit code or signal, and its last line of error output). */
  exited: Promise<string>;
  stop(): void;
}

export interface RouterSupervisorDeps {
  spawn: () => RouterChild;
  /** The live process holding the data dir's router lock, if any. */
  lockHolder: () => number | null;
  /** Copies the router's new retry lines into the ops journal. */
  journalRetries: () => number;
  writeState: (state: SupervisedRouter) => void;
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
  tickMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A router that ran this long before dying starts the backoff over. */
  stableMs: number;
}

/**
 * Runs the router as a child of the app's long-lived core: starts it, restarts it
 * with capped exponential backoff when it dies, stops it with the core. When a
 * router the app did not start already holds the data dir (a technician's
 * `outpost router`), it leaves that one alone and reports it. Every tick it also
 * copies the router's retries into the ops journal: the router process only
 * reads the store, so this is where its retries become journal entries.
 */
export class RouterSupervisor {
  private child: RouterChild | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failuresInARow = 0;
  private nextStartAt = 0;
  private state: SupervisedRouter;

  constructor(private readonly deps: RouterSupervisorDeps) {
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
    this.journal();
    this.update({ state: 'stopped', pid: null, url: null, nextStartAt: null });
  }

  private tick(): void {
    if (this.stopped) return;
    this.journal();
    if (!this.child && this.deps.now().getTime() >= this.nextStartAt) {
      const holder = this.deps.lockHolder();
      if (holder !== null) {
        if (this.state.state !== 'external' || this.state.pid !== holder) this.update({ state: 'external', pid: holder, url: null, nextStartAt: null });
      } else {
        this.launch();
      }
    }
    this.timer = setTimeout(() => this.tick(), this.deps.tickMs);
    this.timer.unref();
  }

  private launch(): void {
    const child = this.deps.spawn();
    const startedAt = this.deps.now().getTime();
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
      const ranMs = this.deps.now().getTime() - startedAt;
      this.failuresInARow = ranMs >= this.deps.stableMs ? 1 : this.failuresInARow + 1;
      const delay = Math.min(this.deps.backoffCapMs, this.deps.backoffBaseMs * 2 ** (this.failuresInARow - 1));
      this.nextStartAt = this.deps.now().getTime() + delay;
      this.deps.log('router ended; restarting after a pause', { pid: child.pid, how, delayMs: delay });
      this.update({ state: 'restarting', pid: null, url: null, restarts: this.state.restarts + 1, lastExit: how, nextStartAt: new Date(this.nextStartAt).toISOString() });
    });
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
