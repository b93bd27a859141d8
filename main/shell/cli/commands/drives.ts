import type { Command } from 'commander';
import type { Drive } from '../../../../shared/domain/drives.js';
import { formatBytes } from '../../../../shared/units.js';
import type { CliRuntime } from '../runtime.js';

export function registerDrivesCommands(program: Command, cli: CliRuntime): void {
  program
    .command('drives')
    .description('mounted removable drives: label, mount point, free space, and the bundles they hold (export with `bundle export --drive <mount>`)')
    .action(async () => {
      const drives = await cli.call('sync.drives', {});
      cli.print(drives, () => (drives.length === 0 ? 'no removable drive is mounted: plug one in and wait until it is mounted' : drives.map(formatDrive).join('\n')));
    });
}

function formatDrive(drive: Drive): string {
  const head = `${drive.label.padEnd(16)} ${drive.mount}  ${formatBytes(drive.free)} free of ${formatBytes(drive.size)}  ${drive.device}${drive.hotplug ? ' (hot-plug)' : ''}`;
  const bundles = drive.bundles.map((b) => (b.incomplete ? `  unfinished export (cannot be imported): ${b.path}` : `  bundle ${b.sequence ?? '?'} from ${b.issuer ?? '?'}${b.fromHere ? ' (written here)' : ''}, medium ${b.medium} of ${b.count}: ${b.path}`));
  return [head, ...bundles].join('\n');
}
