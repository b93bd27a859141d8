import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { registerDiscoveryCommands } from './discovery.js';
import { registerDrivesCommands } from './drives.js';
import { registerHealthCommands } from './health.js';
import { registerIdentityCommands } from './identity.js';
import { registerPlannerCommands } from './planner.js';
import { registerRouterCommands } from './router.js';
import { registerServiceCommands } from './service.js';
import { registerSetupCommands } from './setup.js';
import { registerSyncCommands } from './sync.js';
import { registerSystemCommands } from './system.js';
import { registerWorkersCommands } from './workers.js';
import { registerModelCommands } from './models.js';

/** Every command, one file per capability; each calls the core only through `cli.call`. */
export function addCommands(program: Command, cli: CliRuntime): void {
  registerDiscoveryCommands(program, cli);
  registerHealthCommands(program, cli);
  registerIdentityCommands(program, cli);
  registerPlannerCommands(program, cli);
  registerRouterCommands(program, cli);
  registerServiceCommands(program, cli);
  registerSetupCommands(program, cli);
  registerSyncCommands(program, cli);
  registerSystemCommands(program, cli);
  registerWorkersCommands(program, cli);
  registerDrivesCommands(program, cli);
  registerModelCommands(program, cli);
}
