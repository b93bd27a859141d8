import path from 'node:path';
import { OutpostError, isOutpostError } from '../../../shared/errors.js';
import type { CallInput, CallName, CallOutput, EventMessage } from '../../../shared/contract/index.js';
import { openCore, type Core } from '../../app/core.js';
import { fileLogger, type Logger } from '../../platform/log.js';
import { defaultDataDir, layoutOf, type DataDirLayout } from '../../platform/store/index.js';
import { attachToSite } from '../service/attach.js';
import { inProcessConnection, type SiteConnection } from '../service/site-connection.js';
import { terminalSafe } from './terminal-text.js';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/**
 * What a command needs: the site (the data dir's service when one runs, so its supervisor sees a launch at once;
 * otherwise a core opened in this process), reached lazily so `--help` and usage errors never touch the data
 * dir, and the output channel.
 */
export class CliRuntime {
  private core: Core | undefined;
  private connection: Promise<SiteConnection> | undefined;
  /** Whether a result went to stdout, so a later error does not add a second JSON document. */
  printedResult = false;
  /** A job streams JSON lines on stdout: an error goes out as one more line, even after a result. */
  streamsLines = false;

  constructor(
    private readonly globals: () => GlobalOptions,
    readonly stdout: NodeJS.WritableStream = process.stdout,
    readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  get json(): boolean {
    return this.globals().json === true;
  }

  dataDir(): string {
    return this.globals().dataDir ?? defaultDataDir();
  }

  /** The data dir's paths, for a command that only needs to name a file (nothing is opened or created). */
  layout(): DataDirLayout {
    return layoutOf(path.resolve(this.dataDir()));
  }

  /** A core in this process: for the processes that are the site (`outpost service run`, the router) and the fallback. */
  openCore(): Core {
    this.core ??= openCore({ dataDir: this.dataDir() });
    return this.core;
  }

  /** The data dir's service when one runs; otherwise this process's own core. A service that refuses us is an error. */
  site(): Promise<SiteConnection> {
    this.connection ??= attachToSite(this.dataDir(), { start: false }).catch((error: unknown) => {
      if (!isOutpostError(error) || error.code !== 'UNAVAILABLE') throw error;
      const core = this.openCore();
      return inProcessConnection(core, { instance: core.siteProcess.instance, appVersion: core.siteProcess.appVersion, schemaVersion: core.siteProcess.schemaVersion });
    });
    return this.connection;
  }

  /** Calls the same dispatcher as the window does; an error envelope becomes a thrown OutpostError. */
  async call<K extends CallName>(name: K, input: CallInput<K>, signal?: AbortSignal): Promise<CallOutput<K>> {
    const envelope = await (await this.site()).invoke(name, input, 'cli', signal);
    if (!envelope.ok) throw new OutpostError(envelope.error.code, envelope.error.message, envelope.error.hint);
    return envelope.result as CallOutput<K>;
  }

  /** Events emitted from now on, wherever the site runs; resolves once they flow. */
  async subscribe(listener: (message: EventMessage) => void): Promise<{ settled(): Promise<void>; close(): void }> {
    const stream = (await this.site()).openEvents(listener);
    await stream.live;
    return { settled: () => stream.settled?.() ?? Promise.resolve(), close: () => stream.close() };
  }

  /** The CLI's log, without opening the core (the data dir itself may be what failed). */
  log(): Logger {
    return fileLogger(this.layout().logs, 'cli');
  }

  /** `--json` prints the contract's output verbatim; otherwise the human rendering, safe for a terminal. */
  print(result: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(result, null, 2)}\n` : `${terminalSafe(human())}\n`);
    this.printedResult = true;
  }

  /** Detaches from the service, or closes this process's core. */
  close(): void {
    const connection = this.connection;
    this.connection = undefined;
    void connection
      ?.then(async (site) => {
        if (site.attachedTo().kind === 'service') await site.close();
      })
      .catch(() => undefined);
    this.core?.close();
    this.core = undefined;
  }
}
