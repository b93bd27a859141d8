import { Command, CommanderError } from 'commander';
import { isOutpostError, type ErrorInfo } from '../../../shared/errors.js';
import { appVersion } from '../../platform/version.js';
import { addCommands } from './commands/index.js';
import { CliRuntime, type GlobalOptions } from './runtime.js';
import { terminalSafe } from './terminal-text.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Exit codes: 0 success, 1 the command failed, 2 the command line was wrong. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = new Command('outpost');
  const cli = new CliRuntime(() => program.opts<GlobalOptions>(), io.stdout, io.stderr);
  // After a command word, `--version` is that command's own option (`release model add --version 2`), not outpost's.
  const firstWord = argv.findIndex((arg) => !arg.startsWith('-'));
  const versionIsCommands = firstWord !== -1 && argv.indexOf('--version') > firstWord;
  program
    .description('Outpost: LLM inference across an air-gapped site, from one laptop')
    .version(appVersion(), versionIsCommands ? '-V' : '-V, --version')
    .option('--data-dir <dir>', 'data dir (default: $OUTPOST_HOME or the OS convention)')
    .option('--json', 'print machine-readable JSON')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Commander's own messages ("error: unknown option") are rewritten below into our one-line form.
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .exitOverride()
    .showSuggestionAfterError(true);
  addCommands(program, cli);
  program.commands.forEach(function inherit(command) {
    command.exitOverride();
    command.configureOutput(program.configureOutput());
    command.commands.forEach(inherit);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      io.stderr.write(`${terminalSafe(usageLine(error))}\n`);
      return 2;
    }
    const info = toInfo(error, cli);
    if (cli.json && (cli.streamsLines || !cli.printedResult)) io.stdout.write(`${JSON.stringify({ ok: false, error: info }, null, cli.streamsLines ? undefined : 2)}\n`);
    io.stderr.write(`${terminalSafe(`outpost: ${info.message}${info.hint ? ` — ${info.hint}` : ''}`)}\n`);
    return 1;
  } finally {
    cli.close();
  }
}

function usageLine(error: CommanderError): string {
  const what = error.message.replace(/^error:\s*/, '').split('\n')[0];
  const suggestion = error.message.includes('Did you mean') ? ` (${error.message.split('\n').slice(1).join(' ').trim()})` : '';
  const help = error.code === 'commander.helpDisplayed' ? '' : ' — run `outpost --help` (or `outpost <command> --help`) for usage';
  return `outpost: ${what}${suggestion}${help}`;
}

function toInfo(error: unknown, cli: CliRuntime): ErrorInfo {
  if (isOutpostError(error)) return error.toInfo();
  // Not a user error: keep the detail in the log, show no stack trace.
  try {
    cli.log().error('unexpected CLI failure', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } catch {
    // The data dir itself may be what failed; the one-line message below still goes out.
  }
  return { code: 'INTERNAL', message: 'Outpost hit an internal error', hint: 'see logs/outpost.log in the data dir and report it' };
}
