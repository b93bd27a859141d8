import type { Command } from 'commander';
import { notAvailableYet } from './not-yet.js';

/** The rest of PRODUCT.md's CLI surface, declared with its real options. */
export function registerLaterCommands(program: Command): void {
  notAvailableYet(program.command('health').description('offline health report'), 'Telemetry & offline');
}

