import { setMaxListeners } from 'node:events';
import { OutpostError } from '../../shared/errors.js';

/** A long job in flight: its id, what kind it is, and the signal every await inside it honours. */
export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly startedAt: Date;
  readonly signal: AbortSignal;
  /** Removes the job from the registry; call it in a `finally`. */
  finish(): void;
}

/**
 * The long jobs of this core (scan, launch, export, import…), by id, so a
 * second call — the window's Cancel button, a CLI's Ctrl-C — can stop one.
 * A job aborts when cancelled here or when the signal of the call that
 * started it aborts (the CLI's SIGINT, a closed bridge request).
 */
export class JobRegistry {
  private readonly running = new Map<string, { job: Job; controller: AbortController }>();

  constructor(private readonly newId: () => string) {}

  start(kind: string, options: { id?: string | undefined; signal?: AbortSignal | undefined } = {}): Job {
    const id = options.id ?? this.newId();
    if (this.running.has(id)) throw new OutpostError('CONFLICT', `a job with id ${id} is already running`, 'choose another id, or cancel that job first');
    const controller = new AbortController();
    // One job's signal is shared by every await inside it (a scan: one per host in flight).
    setMaxListeners(0, controller.signal);
    const parent = options.signal;
    const forward = (): void => controller.abort(parent?.reason);
    if (parent?.aborted) controller.abort(parent.reason);
    else parent?.addEventListener('abort', forward, { once: true });
    const job: Job = {
      id,
      kind,
      startedAt: new Date(),
      signal: controller.signal,
      finish: () => {
        parent?.removeEventListener('abort', forward);
        if (this.running.get(id)?.job === job) this.running.delete(id);
      },
    };
    this.running.set(id, { job, controller });
    return job;
  }

  /** True when a job of that kind and id was running and is now told to stop. */
  cancel(id: string, kind?: string): boolean {
    const entry = this.running.get(id);
    if (!entry || (kind !== undefined && entry.job.kind !== kind)) return false;
    entry.controller.abort(new Error('cancelled'));
    return true;
  }

  list(): Array<{ id: string; kind: string; startedAt: Date }> {
    return [...this.running.values()].map(({ job }) => ({ id: job.id, kind: job.kind, startedAt: job.startedAt }));
  }
}
