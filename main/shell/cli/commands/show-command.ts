import type { Command } from 'commander';
import type { CallInput, CallName, CallOutput } from '../../../../shared/contract/index.js';
import type { CliRuntime } from '../runtime.js';

/** The calls that take no input: `{}` is all they are given. */
type InputlessCall = { [K in CallName]: Record<string, never> extends CallInput<K> ? K : never }[CallName];

/**
 * A command that is one call without input and prints its answer: the contract's output with --json,
 * `format`'s rendering otherwise.
 */
export function showCommand<K extends InputlessCall>(parent: Command, cli: CliRuntime, name: string, description: string, call: K, format: (output: CallOutput<K>) => string): Command {
  return parent
    .command(name)
    .description(description)
    .action(async () => {
      const output = await cli.call(call, {} as CallInput<K>);
      cli.print(output, () => format(output));
    });
}
