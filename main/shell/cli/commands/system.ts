import type { Command } from 'commander';
import { OutpostError } from '../../../../shared/errors.js';
import { isCallName } from '../../../../shared/contract/index.js';
import { formatJournal, formatStatus } from '../format.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';
import { showCommand } from './show-command.js';
import { attachWindow } from './ui.js';

export function registerSystemCommands(program: Command, cli: CliRuntime): void {
  showCommand(program, cli, 'status', 'site, data dir, schema version and time since the last bundle exchange', 'system.status', formatStatus);

  program
    .command('journal')
    .description('the ops journal: who did what, when, with what result')
    .option('--limit <n>', 'how many entries', integerBetween(1, 1000), 20)
    .action(async (opts: { limit: number }) => {
      const entries = await cli.call('system.journal', { limit: opts.limit });
      cli.print(entries, () => formatJournal(entries));
    });

  program
    .command('ui')
    .description("attach to the data dir's site service (starting it in the background when none runs) and print the URL of its window; Ctrl-C detaches, the site keeps running")
    .option('--port <port>', 'port for a service this command starts (0 picks a free one)', integerBetween(0, 65535), 0)
    .action((opts: { port: number }) => attachWindow(cli, opts.port));

  program
    .command('call')
    .description('invoke any call of the contract directly, for scripts (input as JSON)')
    .argument('<name>', 'call name, e.g. system.status')
    .argument('[input]', 'JSON input', '{}')
    .action(async (name: string, input: string) => {
      if (!isCallName(name)) throw new OutpostError('NOT_FOUND', `there is no call named "${name}"`, 'run `outpost call --help`, or see shared/contract');
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw new OutpostError('INVALID_INPUT', 'the input is not valid JSON', `e.g. outpost call ${name} '{}'`);
      }
      const result = await cli.call(name, parsed as never);
      cli.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
