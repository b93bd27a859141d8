import { Option, type Command } from 'commander';
import { KeyVault } from '../../../identity/index.js';
import { formatIdentity } from '../format.js';
import type { CliRuntime } from '../runtime.js';
import { showCommand } from './show-command.js';

export function registerIdentityCommands(program: Command, cli: CliRuntime): void {
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
  showCommand(keys, cli, 'show', 'public keys and fingerprints (private keys are never printed)', 'identity.show', (identity) => formatIdentity(identity, sshKeyPath(cli)));
  showCommand(keys, cli, 'authorized-key', "the line to append to each host's ~/.ssh/authorized_keys (the site's SSH key, restricted to what Outpost uses)", 'identity.sshPublicKey', (key) => key.authorizedKeysLine);
  keys
    .command('rotate')
    .description('replace keys; old public keys stay in the history so older signatures still verify')
    .addOption(new Option('--key <which>', 'which key to replace').choices(['signing', 'ssh', 'all']).default('signing'))
    .action(async (opts: { key: 'signing' | 'ssh' | 'all' }) => {
      const identity = await cli.call('identity.rotate', { keys: opts.key === 'all' ? ['signing', 'ssh'] : [opts.key] });
      const note = opts.key === 'signing' ? '' : '\nnote: hosts that authorised the old SSH key must be given the new one';
      cli.print(identity, () => `rotated ${opts.key} key\n${formatIdentity(identity, sshKeyPath(cli))}${note}`);
    });
}

function sshKeyPath(cli: CliRuntime): string {
  return new KeyVault(cli.layout().keys).privateKeyPath('ssh');
}
