import { Option, type Command } from 'commander';
import { serviceStatus, stopService, type ServiceStatus } from '../../service/control.js';
import { installService, uninstallService, type InstallResult } from '../../service/install.js';
import { serviceLogs } from '../../service/logs.js';
import { runService } from '../../service/run.js';
import { untilStopSignal } from '../../bridge/serve.js';
import type { UnitScope } from '../../service/systemd-unit.js';
import { confirm } from '../confirm.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';

const scopeOptions = (verb: string) => [
  new Option('--user', `${verb} the login's own unit (systemctl --user)`).conflicts('system'),
  new Option('--system', `${verb} the machine's unit (as root; it runs as the data dir's owner and starts at boot)`).conflicts('user'),
];
const scopeOf = (opts: { user?: boolean; system?: boolean }): UnitScope | undefined => (opts.system ? 'system' : opts.user ? 'user' : undefined);

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

  const install = service.command('install').description('write the systemd unit of this data dir and enable and start it (default: --system as root, --user otherwise)');
  for (const option of scopeOptions('install')) install.addOption(option);
  install.option('--force', 'replace a unit edited by hand', false).action((opts: { user?: boolean; system?: boolean; force: boolean }) => {
    const result = installService({ dataDir: cli.dataDir(), scope: scopeOf(opts), force: opts.force });
    cli.print(result, () => formatInstall(result, cli.dataDir()));
  });

  service
    .command('status')
    .description('whether the service runs: pid, who manages it, uptime, port, and whether its unit is installed')
    .action(() => {
      const status = serviceStatus(cli.dataDir());
      cli.print(status, () => formatStatus(status));
    });

  service
    .command('stop')
    .description("stop the site's service: its router and the workers' supervision stop (the workers keep running)")
    .option('--yes', 'stop without asking', false)
    .action(async (opts: { yes: boolean }) => {
      const status = serviceStatus(cli.dataDir());
      if (status.isService && !opts.yes) {
        await confirm(`Stop the site service of ${status.dataDir} (pid ${status.pid})? The site's router and the workers' supervision stop with it. [y/N] `, {
          noTerminal: { message: 'stopping the site service needs a confirmation and there is no terminal to ask on', hint: "the site's router and the workers' supervision stop with it; run again with --yes" },
          declined: { message: 'not stopped', hint: 'the service keeps running' },
        });
      }
      const stopped = await stopService(cli.dataDir());
      cli.print(stopped, () => (stopped.pid === null ? `no Outpost service runs for ${status.dataDir}` : `stopped the service (pid ${stopped.pid}, by ${stopped.how})`));
    });

  const uninstall = service.command('uninstall').description('disable and stop the unit, then remove it (only as Outpost wrote it, unless --force)');
  for (const option of scopeOptions('uninstall')) uninstall.addOption(option);
  uninstall.option('--force', 'remove a unit edited by hand too', false).action((opts: { user?: boolean; system?: boolean; force: boolean }) => {
    const result = uninstallService({ dataDir: cli.dataDir(), scope: scopeOf(opts), force: opts.force });
    cli.print(result, () => (result.removed === null ? `no unit ${result.unit} is installed for this data dir` : `removed ${result.removed}${result.systemdNotTold ? ` (${result.systemdNotTold}: nothing to disable)` : ', disabled and stopped'}`));
  });

  service
    .command('logs')
    .description("the service's log: its journal when systemd runs it, else the data dir's logs/outpost.log")
    .option('--lines <n>', 'how many of the last lines', integerBetween(1, 100_000), 100)
    .option('--follow', 'keep printing new lines (Ctrl-C ends)')
    .action(async (opts: { lines: number; follow?: boolean }) => {
      await serviceLogs({ dataDir: cli.dataDir(), lines: opts.lines, follow: opts.follow === true, out: cli.stdout, err: cli.stderr, stop: untilStopSignal() });
    });
}

function formatInstall(result: InstallResult, dataDir: string): string {
  const systemctl = `systemctl${result.scope === 'user' ? ' --user' : ''}`;
  const lines = [`wrote ${result.path} (runs as ${result.user}${result.scope === 'system' ? ', starts at boot' : ''})`];
  if (result.enabled) {
    lines.push(`enabled and started ${result.unit}: \`outpost service status\` shows it, \`outpost service logs\` its journal`);
    if (result.scope === 'user') lines.push(`it starts with your login; to start it at boot without one: loginctl enable-linger ${result.user}`);
  } else {
    lines.push(
      `NOT enabled or started: ${result.notEnabledBecause}.`,
      `Keep the service running with \`outpost --data-dir ${dataDir} service run\` in the foreground, under this machine's own supervisor (a container's init, supervisord, runit); where systemd runs, \`${systemctl} enable --now ${result.unit}\` starts this unit.`,
    );
  }
  return lines.join('\n');
}

function formatDuration(seconds: number): string {
  const [d, h, m] = [Math.floor(seconds / 86_400), Math.floor((seconds % 86_400) / 3600), Math.floor((seconds % 3600) / 60)];
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`;
}

function formatStatus(status: ServiceStatus): string {
  const running = !status.running
    ? 'not running'
    : status.isService
      ? `running (pid ${status.pid}, ${status.managedBy}, up ${formatDuration(status.uptimeSeconds ?? 0)}) on 127.0.0.1:${status.port}`
      : `not running; pid ${status.pid} holds the data dir (an \`outpost ui\` or an older core)`;
  const unit = status.unit.installed ? `${status.unit.name} installed (${status.unit.scope}, ${status.unit.path}${status.unit.editedByHand ? ', edited by hand' : ''})` : `${status.unit.name} not installed`;
  return [`service: ${running}`, `data dir: ${status.dataDir}`, `unit: ${unit}`].join('\n');
}
