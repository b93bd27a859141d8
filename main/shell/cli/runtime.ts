import { OutpostError } from '../../../shared/errors.js';
import type { CallInput, CallName, CallOutput } from '../../../shared/contract/index.js';
import { callContext, openCore, type Core } from '../../app/core.js';
import { defaultDataDir } from '../../platform/store/index.js';
import { terminalSafe } from './terminal-text.js';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/**
 * What a command needs: the in-process core (opened lazily, so `--help` and
 * usage errors never touch the data dir) and the output channel.
 */
export class CliRuntime {
  private core: Core | undefined;
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

  openCore(): Core {
    this.core ??= openCore({ dataDir: this.dataDir() });
    return this.core;
  }

  /** Calls the same dispatcher as the window does; an error envelope becomes a thrown OutpostError. */
  async call<K extends CallName>(name: K, input: CallInput<K>, signal?: AbortSignal): Promise<CallOutput<K>> {
    const envelope = await this.openCore().dispatcher.invoke(name, input, callContext('cli', signal));
    if (!envelope.ok) throw new OutpostError(envelope.error.code, envelope.error.message, envelope.error.hint);
    return envelope.result as CallOutput<K>;
  }

  /** `--json` prints the contract's output verbatim; otherwise the human rendering, safe for a terminal. */
  print(result: unknown, human: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(result, null, 2)}\n` : `${terminalSafe(human())}\n`);
    this.printedResult = true;
  }

  close(): void {
    this.core?.close();
    this.core = undefined;
  }
}
