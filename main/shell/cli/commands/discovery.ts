import type { Command } from 'commander';
import { formatWorkstation } from '../format.js';
import type { CliRuntime } from '../runtime.js';

export function registerDiscoveryCommands(program: Command, cli: CliRuntime): void {
  program
    .command('local')
    .description("this workstation's inventory (CPU, RAM, disks, GPUs, OS), stored as its inventory row")
    .action(async () => {
      const inventory = await cli.call('discovery.local', {});
      cli.print(inventory, () => formatWorkstation(inventory));
    });

}
