import type { Command } from 'commander';
import { notAvailableYet } from './not-yet.js';

/** The rest of PRODUCT.md's CLI surface, declared with its real options. */
export function registerLaterCommands(program: Command): void {
  notAvailableYet(
    program
      .command('discover')
      .description('scan CIDR ranges and hosts over SSH and inventory them')
      .argument('<targets>', 'cidr|host|host:port[,...]')
      .requiredOption('--user <user>', 'SSH user')
      .option('--key <file>', 'SSH private key (default: the site key)')
      .option('--port <port>', 'SSH port', '22')
      .option('--concurrency <n>', 'parallel probes', '64')
      .option('--timeout <ms>', 'per-host timeout', '5000'),
    'Discovery',
  );
  notAvailableYet(program.command('nodes').description('the inventory of the site, from the store'), 'Discovery');
  const hostkey = program.command('hostkey').description('host-key pins');
  notAvailableYet(hostkey.command('accept').argument('<node>').description('accept a changed host key explicitly'), 'Discovery');
  notAvailableYet(
    program.command('launch').argument('<plan-id>').description('launch a plan as workers over SSH').option('--engine <engine>', 'llama.cpp|vllm|custom'),
    'Workers',
  );
  notAvailableYet(program.command('workers').description('deployments and their workers'), 'Workers');
  notAvailableYet(program.command('stop').argument('<deployment>').description('stop a deployment'), 'Workers');
  const bundle = program.command('bundle').description('signed sync bundles on removable media');
  notAvailableYet(
    bundle
      .command('export')
      .description('write a signed bundle for HQ or a site')
      .requiredOption('--to <dir>', 'destination directory')
      .option('--for <peer>', 'only what this peer has not acknowledged')
      .option('--max-medium-size <size>', 'split across media of this size, e.g. 32G'),
    'Sync',
  );
  notAvailableYet(bundle.command('verify').argument('<dir>').description('verify a bundle without importing it'), 'Sync');
  notAvailableYet(bundle.command('import').argument('<dir>').description('verify, preview and apply a bundle').option('--dry-run', 'preview only'), 'Sync');
  const trust = program.command('trust').description('trusted peers (HQ, other sites)');
  notAvailableYet(trust.command('export').description('write this installation\'s trust file'), 'Sync');
  notAvailableYet(trust.command('add').argument('<file>').description('pin a peer from its trust file'), 'Sync');
  notAvailableYet(trust.command('list').description('list trusted peers'), 'Sync');
  notAvailableYet(program.command('health').description('offline health report'), 'Telemetry & offline');
}

