import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { LibraryModel } from '../../../../shared/domain/models.js';
import { formatBytes } from '../../../../shared/units.js';
import { runJob } from '../job.js';
import type { CliRuntime } from '../runtime.js';
import { formatDeployments, launchProgress } from './workers.js';

/** One line per model: what to pass as --model, what it is, where it lies. */
export function formatLibrary(models: readonly LibraryModel[]): string {
  if (!models.length) return "no models yet: import a bundle from HQ (`outpost import`), or put .gguf files in the data dir's models folder";
  return models
    .map((m) => {
      const id = m.ref ?? `--node-file ${m.node}:${m.path}`;
      const what = m.problem ? `cannot be planned: ${m.problem}` : `${m.architecture} ${m.quant}, ${m.layers} layers`;
      const release = m.source === 'release' ? `  signed by ${m.signer}${m.releasedAt ? ` on ${m.releasedAt.slice(0, 10)}` : ''}, sha256 ${m.digest?.slice(0, 12)}…${m.newest ? '  (newest)' : ''}` : '';
      return `${id.padEnd(28)} ${m.source.padEnd(11)} ${formatBytes(m.sizeBytes).padStart(10)}  ${what}\n  ${m.location}${release}`;
    })
    .join('\n');
}

/** The model library, and moving a deployment between versions of its release. */
export function registerModelCommands(program: Command, cli: CliRuntime): void {
  program
    .command('models')
    .description('every model the site can run: HQ releases by name@version, GGUF files here and on the nodes')
    .action(async () => {
      const models = await cli.call('planner.models', {});
      cli.print(models, () => formatLibrary(models));
    });

  program
    .command('rollout')
    .argument('<deployment>', 'a deployment of an HQ release (see `outpost workers`)')
    .requiredOption('--to <version>', "HQ's version to move to (see `outpost models`)")
    .description('move a deployment to another version without a gap: launch it, test prompt, switch the router, drain and stop the old one (Ctrl-C stops the new one; the old keeps serving)')
    .action(async (deployment: string, opts: { to: string }) => {
      const deploymentId = `dep-${randomBytes(5).toString('hex')}`;
      await runJob(cli, {
        id: deploymentId,
        progress: launchProgress,
        what: 'the rollout',
        run: (signal) => cli.call('workers.rollout', { deployment, to: opts.to, deploymentId }, signal),
        human: (next) => `${formatDeployments([next])}\n\n${deployment} stopped; the traffic goes to ${next.id}; \`outpost rollback ${next.id}\` goes back`,
      });
    });

  program
    .command('rollback')
    .argument('<deployment>', 'a deployment a rollout started (see `outpost workers`)')
    .description('go back to the version a rollout replaced: launch it again, switch the router, drain and stop this one (Ctrl-C stops the relaunch)')
    .action(async (deployment: string) => {
      const deploymentId = `dep-${randomBytes(5).toString('hex')}`;
      await runJob(cli, {
        id: deploymentId,
        progress: launchProgress,
        what: 'the rollback',
        run: (signal) => cli.call('workers.rollback', { deployment, deploymentId }, signal),
        human: (back) => `${formatDeployments([back])}\n\n${deployment} stopped; the traffic goes to ${back.id}`,
      });
    });
}
