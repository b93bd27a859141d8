import type { Command } from 'commander';
import { OutpostError } from '../../../../shared/errors.js';

/**
 * Commands of PRODUCT.md whose capability has not shipped: they are listed in
 * --help with their real options, and fail honestly instead of pretending.
 */
export function notAvailableYet(command: Command, capability: string): Command {
  return command.action(() => {
    throw new OutpostError(
      'UNAVAILABLE',
      `\`outpost ${fullName(command)}\` is not available yet in Outpost`,
      `it arrives with the ${capability} capability; nothing was done`,
    );
  });
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
