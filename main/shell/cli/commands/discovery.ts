import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { OutpostError } from '../../../../shared/errors.js';
import { formatWorkstation } from '../format.js';
import { runJob, type ProgressView } from '../job.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';
import { formatCounts, formatHostLine, formatNodes, formatScan } from './discovery-format.js';
import { showCommand } from './show-command.js';

interface DiscoverOptions {
  user: string;
  key?: string;
  port: number;
  concurrency: number;
  timeout: number;
  modelDir?: string[];
}

export function registerDiscoveryCommands(program: Command, cli: CliRuntime): void {
  showCommand(program, cli, 'local', "this workstation's inventory (CPU, RAM, disks, GPUs, OS), stored as its inventory row", 'discovery.local', formatWorkstation);

  program
    .command('discover')
    .description('scan CIDR ranges and hosts over SSH and inventory them (Ctrl-C cancels; finished hosts are kept)')
    .argument('<targets>', 'cidr|host|host:port[,...], e.g. 10.0.0.0/24,gpu-7:2222')
    .requiredOption('--user <user>', 'SSH login user on the hosts')
    .option('--key <file>', 'SSH private key (default: the site key, keys/id_ed25519)')
    .option('--port <port>', 'SSH port for targets without :port', integerBetween(1, 65535), 22)
    .option('--concurrency <n>', 'hosts probed at once', integerBetween(1, 1024), 64)
    .option('--timeout <ms>', 'limit for each step on one host: connect, handshake, probe', integerBetween(100, 600_000), 10_000)
    .option('--model-dir <dir...>', 'where to look for model files (default: ~/models /models /opt/models /srv/models /var/lib/outpost/models)')
    .action(async (targets: string, opts: DiscoverOptions) => {
      const scanId = randomBytes(8).toString('hex');
      await runJob(cli, {
        id: scanId,
        progress: scanProgress,
        what: 'the scan',
        run: (signal) => cli.call('discovery.scan', { targets, user: opts.user, key: opts.key, port: opts.port, concurrency: opts.concurrency, timeoutMs: opts.timeout, modelDirs: opts.modelDir, scanId }, signal),
        human: formatScan,
        failure: (result) => (result.outcome === 'cancelled' ? new OutpostError('CANCELLED', `the scan was cancelled; ${result.counts.inventoried} host(s) finished before it and are stored`, 'run the same discover again to scan the rest') : null),
      });
    });

  showCommand(program, cli, 'nodes', 'the inventory of the site, from the store', 'discovery.nodes', formatNodes);

  const hostkey = program.command('hostkey').description('host-key pins (trust on first use, refused on change)');
  hostkey
    .command('accept')
    .argument('<node>', 'node name, or address[:port] of a host refused before it was named')
    .description('accept the changed host key a node presented (journaled), then probe that node again')
    .action(async (node: string) => {
      const accepted = await cli.call('discovery.acceptHostKey', { node });
      const probed = accepted.reprobe;
      const after = !probed ? 'it was never inventoried: scan it with `outpost discover`' : probed.outcome === 'inventoried' ? 'probed again: inventory stored' : `probed again: ${probed.outcome} — ${probed.reason ?? ''}`;
      cli.print(accepted, () => `${accepted.node} (${accepted.address}:${accepted.port}) is now pinned to ${accepted.keyType} ${accepted.fingerprint}\n(was ${accepted.previousFingerprint})\n${after}`);
    });
}

/** The counts on a terminal; in a log, a line per host that answered (dead range addresses are only counted). */
const scanProgress: ProgressView<'discovery.scanProgress'> = {
  event: 'discovery.scanProgress',
  jobId: (p) => p.scanId,
  status: (p) => `scanning: ${formatCounts(p.counts)}`,
  line: (p) => (p.host ? formatHostLine(p.host) : null),
};
