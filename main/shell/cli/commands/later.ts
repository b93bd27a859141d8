import type { Command } from 'commander';
import { notAvailableYet } from './not-yet.js';

/** The rest of PRODUCT.md's CLI surface, declared with its real options. */
export function registerLaterCommands(program: Command): void {
  notAvailableYet(
    program.command('launch').argument('<plan-id>').description('launch a plan as workers over SSH').option('--engine <engine>', 'llama.cpp|vllm|custom'),
    'Workers',
  );
  notAvailableYet(program.command('workers').description('deployments and their workers'), 'Workers');
  notAvailableYet(program.command('stop').argument('<deployment>').description('stop a deployment'), 'Workers');
  notAvailableYet(program.command('health').description('offline health report'), 'Telemetry & offline');
}

