import { Command, InvalidArgumentError, Option } from 'commander';
import { OutpostError } from '../../../shared/errors.js';
import { isCallName, type CallName } from '../../../shared/contract/index.js';
import { KeyVault } from '../../identity/index.js';
import { serveBrowserMode } from '../bridge/serve.js';
import { formatIdentity, formatJournal, formatStatus, formatWorkstation } from './format.js';
import { notAvailableYet } from './not-yet.js';
import type { CliRuntime } from './runtime.js';

/** A usage error (exit 2) for a malformed number, before anything runs. */
const integerBetween = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};

export function addCommands(program: Command, cli: CliRuntime): void {
  program
    .command('local')
    .description("this workstation's inventory (CPU, RAM, disks, GPUs, OS), stored as its inventory row")
    .action(async () => {
      const inventory = await cli.call('discovery.local', {});
      cli.print(inventory, () => formatWorkstation(inventory));
    });

  const keys = program.command('keys').description('site identity: site id, Ed25519 signing key, Ed25519 SSH key');
  keys
    .command('init')
    .description('create the site identity (refuses to overwrite one without --force)')
    .option('--site-id <id>', 'site id (3–64 of a–z, 0–9, "-"); default: from the host name')
    .addOption(new Option('--role <role>', 'act as a site or as headquarters').choices(['site', 'hq']).default('site'))
    .option('--force', 'replace an existing identity (peers must re-trust this site)', false)
    .action(async (opts: { siteId?: string; role: 'site' | 'hq'; force: boolean }) => {
      const identity = await cli.call('identity.init', { siteId: opts.siteId, role: opts.role, force: opts.force });
      cli.print(identity, () => `created site identity\n${formatIdentity(identity, sshKeyPath(cli))}`);
    });
  keys
    .command('show')
    .description('public keys and fingerprints (private keys are never printed)')
    .action(async () => {
      const identity = await cli.call('identity.show', {});
      cli.print(identity, () => formatIdentity(identity, sshKeyPath(cli)));
    });
  keys
    .command('rotate')
    .description('replace keys; old public keys stay in the history so older signatures still verify')
    .addOption(new Option('--key <which>', 'which key to replace').choices(['signing', 'ssh', 'all']).default('signing'))
    .action(async (opts: { key: 'signing' | 'ssh' | 'all' }) => {
      const identity = await cli.call('identity.rotate', { keys: opts.key === 'all' ? ['signing', 'ssh'] : [opts.key] });
      const note = opts.key === 'signing' ? '' : '\nnote: hosts that authorised the old SSH key must be given the new one';
      cli.print(identity, () => `rotated ${opts.key} key\n${formatIdentity(identity, sshKeyPath(cli))}${note}`);
    });

  program
    .command('status')
    .description('site, data dir, schema version and time since the last bundle exchange')
    .action(async () => {
      const status = await cli.call('system.status', {});
      cli.print(status, () => formatStatus(status));
    });

  program
    .command('journal')
    .description('the ops journal: who did what, when, with what result')
    .option('--limit <n>', 'how many entries', integerBetween(1, 1000), 20)
    .action(async (opts: { limit: number }) => {
      const entries = await cli.call('system.journal', { limit: opts.limit });
      cli.print(entries, () => formatJournal(entries));
    });

  program
    .command('ui')
    .description('serve the Outpost window in a browser on 127.0.0.1 (prints the URL with its access token)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', integerBetween(0, 65535), 0)
    .action(async (opts: { port: number }) => {
      await serveBrowserMode(cli.openCore(), { port: opts.port, json: cli.json, out: cli.stdout });
    });

  program
    .command('call')
    .description('invoke any call of the contract directly, for scripts (input as JSON)')
    .argument('<name>', 'call name, e.g. system.status')
    .argument('[input]', 'JSON input', '{}')
    .action(async (name: string, input: string) => {
      if (!isCallName(name)) throw new OutpostError('NOT_FOUND', `there is no call named "${name}"`, 'run `outpost call --help`, or see shared/contract');
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        throw new OutpostError('INVALID_INPUT', 'the input is not valid JSON', `e.g. outpost call ${name} '{}'`);
      }
      const result = await cli.call(name as CallName, parsed as never);
      cli.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });

  addLaterCommands(program);
}

/** The rest of PRODUCT.md's CLI surface, declared with its real options. */
function addLaterCommands(program: Command): void {
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
    program
      .command('plan')
      .description('plan how to shard a model across GPUs')
      .requiredOption('--model <name|file.gguf>', 'model name or GGUF file')
      .option('--nodes <a,b>', 'use these nodes')
      .option('--gpus <list>', 'use these GPU types, e.g. A100-80GB,L40S,T4')
      .option('--quant <q>', 'quantization', 'Q4_K_M')
      .option('--context <n>', 'context length', '8192')
      .option('--explain', 'explain the plan in words'),
    'Planner',
  );
  notAvailableYet(
    program.command('launch').argument('<plan-id>').description('launch a plan as workers over SSH').option('--engine <engine>', 'llama.cpp|vllm|custom'),
    'Workers',
  );
  notAvailableYet(program.command('workers').description('deployments and their workers'), 'Workers');
  notAvailableYet(program.command('stop').argument('<deployment>').description('stop a deployment'), 'Workers');
  notAvailableYet(program.command('router').description('serve the router in the foreground').option('--port <port>', 'port', '8080'), 'Router');
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

function sshKeyPath(cli: CliRuntime): string {
  return new KeyVault(cli.openCore().layout.keys).privateKeyPath('ssh');
}
