import type { Command } from 'commander';
import { runService } from '../../service/run.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';

/** `outpost service …`: the data dir's site service, the long-lived core that windows attach to. */
export function registerServiceCommands(program: Command, cli: CliRuntime): void {
  const service = program.command('service').description("the data dir's site service: router, workers' supervision, telemetry and the bridge windows attach to");

  service
    .command('run')
    .description('run the site service in the foreground (what a systemd unit or a site supervisor runs)')
    .option('--port <port>', "the bridge's port (0 picks a free one; default: the port it had before, when free)", integerBetween(0, 65535))
    .action(async (opts: { port?: number }) => {
      await runService({ dataDir: cli.dataDir(), port: opts.port, json: cli.json, out: cli.stdout });
    });
}
