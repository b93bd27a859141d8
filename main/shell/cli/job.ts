import os from 'node:os';
import type { EventMessage, EventName, EventPayload } from '../../../shared/contract/index.js';
import type { OutpostError } from '../../../shared/errors.js';
import type { CliRuntime } from './runtime.js';
import { terminalSafe } from './terminal-text.js';

/** How one kind of job's progress events read on a terminal and in a log. */
export interface ProgressView<K extends EventName> {
  event: K;
  /** The job an event belongs to (events of other jobs are not shown). */
  jobId(payload: EventPayload<K>): string;
  /** The one updating line on a terminal. */
  status(payload: EventPayload<K>): string;
  /** A line of its own when stderr is not a terminal; null when the event is not worth one. A repeat is printed once. */
  line(payload: EventPayload<K>): string | null;
}

export interface CliJob<K extends EventName, T> {
  /** The id the call is given, so its events can be told from other jobs'. */
  id: string;
  progress: ProgressView<K>;
  /** What a Ctrl-C stops, as said on stderr: "the scan". */
  what: string;
  /** The call; its signal is the job's (the job registry aborts the job with it). */
  run(signal: AbortSignal): Promise<T>;
  human(result: T): string;
  /** A result that still means failure (a cancelled scan answers with the hosts it finished): printed, then thrown. */
  failure?(result: T): OutpostError | null;
}

/** Ctrl-C, and the same from a closing terminal or a service manager. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs a long job for a command: progress on stderr (one updating line on a terminal,
 * plain lines otherwise) or, with --json, one JSON line per event on stdout and the result
 * as the last line. The first Ctrl-C (SIGTERM, SIGHUP) cancels the job and waits for it to
 * stop cleanly (in the service too, when the job runs there); a second exits at once. Signal listeners and the event subscription are
 * removed when it ends, so the process exits by itself.
 */
export async function runJob<K extends EventName, T>(cli: CliRuntime, job: CliJob<K, T>): Promise<T> {
  if (cli.json) cli.streamsLines = true;
  const printer = new ProgressPrinter(cli, job.progress);
  // Live events only, following before the call starts (over the service's socket when one runs).
  const events = await cli.subscribe((message) => {
    if (message.name === job.progress.event && job.progress.jobId(message.payload as EventPayload<K>) === job.id) printer.show(message);
  });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    const key = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (controller.signal.aborted) {
      printer.note(`outpost: ${key} again — exiting without waiting for ${job.what} to stop`);
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    }
    printer.note(`stopping ${job.what}… (${key} again exits at once)`);
    controller.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const result = await job.run(controller.signal);
    await events.settled();
    printer.clear();
    if (cli.json) {
      cli.stdout.write(`${JSON.stringify(result)}\n`);
      cli.printedResult = true;
    } else {
      cli.print(result, () => job.human(result));
    }
    const failure = job.failure?.(result);
    if (failure) throw failure;
    return result;
  } finally {
    events.close();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    printer.clear();
  }
}

class ProgressPrinter<K extends EventName> {
  private readonly tty: boolean;
  private shown = false;
  private lastLine: string | null = null;

  constructor(
    private readonly cli: CliRuntime,
    private readonly view: ProgressView<K>,
  ) {
    this.tty = (cli.stderr as NodeJS.WriteStream).isTTY === true;
  }

  show(message: EventMessage): void {
    const payload = message.payload as EventPayload<K>;
    if (this.cli.json) {
      this.cli.stdout.write(`${JSON.stringify({ event: message.name, at: message.at, payload })}\n`);
    } else if (this.tty) {
      this.cli.stderr.write(`\r\x1b[2K${this.fit(terminalSafe(this.view.status(payload)))}`);
      this.shown = true;
    } else {
      const shown = this.view.line(payload);
      const line = shown === null ? null : terminalSafe(shown);
      if (line === null || line === this.lastLine) return;
      this.lastLine = line;
      this.cli.stderr.write(`${line}\n`);
    }
  }

  /** A line that stays, above the status line. */
  note(text: string): void {
    this.clear();
    this.cli.stderr.write(`${terminalSafe(text)}\n`);
  }

  clear(): void {
    if (this.shown) this.cli.stderr.write('\r\x1b[2K');
    this.shown = false;
  }

  /** A status line wider than the terminal would wrap, and `\r` would then rewrite only its last row. */
  private fit(text: string): string {
    const columns = (this.cli.stderr as NodeJS.WriteStream).columns ?? 0;
    return columns > 1 && text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
  }
}
