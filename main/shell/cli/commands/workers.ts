import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ENGINE_KINDS, type Deployment, type EngineKind, type Replan } from '../../../../shared/domain/workers.js';
import { runJob, type ProgressView } from '../job.js';
import type { CliRuntime } from '../runtime.js';
import { integerBetween } from './options.js';
import { describeTransfer, linesAfter } from '../../../workers/index.js';
import { terminalSafe } from '../terminal-text.js';
import { formatActuals } from './plan-vs-actual-format.js';

interface LaunchOptions {
  engine: EngineKind;
  port: number;
  rpcTransport: 'ssh' | 'lan';
  user?: string;
  key?: string;
  template?: string;
  threads: number;
}

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return value as T;
  };

const ago = (iso: string | null): string => {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

/** Where a deployment stands after a lost host: waiting out the grace, re-planned, no fit, or a replacement that can go back. */
export function replanLine(replan: Replan): string {
  const label = replan.state === 'replacement' ? (replan.canRestore ? 'replacement, can go back' : 'replacement') : `re-plan ${replan.state}`;
  return `${label}: ${replan.detail}`;
}

export function formatDeployments(deployments: readonly Deployment[]): string {
  if (!deployments.length) return 'no deployments (launch one with `outpost launch <plan-id>`)';
  return deployments
    .map((d) => {
      const model = d.modelVersion ? `${d.modelName ?? d.model} version ${d.modelVersion}` : d.model;
      const head = `${d.id}  ${d.state.toUpperCase()}  ${model} (${d.engine}, rpc over ${d.rpcTransport})  plan ${d.planId}${d.apiUrl ? `  ${d.apiUrl}` : ''}${d.tokensPerSecond ? `  ${d.tokensPerSecond.toFixed(0)} tok/s` : ''}`;
      const rollout = d.rollout ? rolloutLines(d) : [];
      const stages = d.stages.map((s) => `  stage ${s.index}: layers ${s.firstLayer}-${s.lastLayer}${s.holdsOutput ? ' + output' : ''} on ${s.node} (${s.gpu})`);
      const workers = d.workers.map(
        (w) => `  ${w.name.padEnd(10)} ${w.state.padEnd(10)} ${w.node.padEnd(16)} pid ${String(w.pid ?? '-').padEnd(8)} up ${ago(w.state === 'running' ? w.startedAt : null).padEnd(5)} restarts ${w.restarts}${w.lastError ? `  (${w.lastError})` : ''}`,
      );
      return [head, ...(d.detail ? [`  ${d.detail}`] : []), ...(d.replan ? [`  ${replanLine(d.replan)}`] : []), ...rollout, ...stages, ...workers, ...(d.actuals ? formatActuals(d.actuals) : [])].join('\n');
    })
    .join('\n\n');
}

/** What a deployment of an HQ release can do next, as commands. */
function rolloutLines(d: Deployment): string[] {
  const r = d.rollout;
  if (!r) return [];
  return [
    ...(r.availableVersion ? [`  version ${r.availableVersion} available: \`outpost rollout ${d.id} --to ${r.availableVersion}\``] : []),
    ...(r.rollbackTo ? [`  replaced version ${r.rollbackTo.version} (${r.rollbackTo.deployment}): \`outpost rollback ${d.id}\` goes back`] : []),
    ...(r.detail ? [`  ${r.detail}`] : []),
  ];
}

/** A phase's message, with how far it is on a terminal; in a log, each step once. */
export const launchProgress: ProgressView<'workers.launchProgress'> = {
  event: 'workers.launchProgress',
  jobId: (p) => p.deploymentId,
  status: (p) => {
    const parts = [...(p.fraction !== null && p.fraction < 1 ? [`${Math.round(p.fraction * 100)}%`] : []), ...(p.transfer ? [describeTransfer(p.transfer)] : [])];
    return `${p.phase}: ${p.message}${parts.length ? ` (${parts.join(', ')})` : ''}`;
  },
  line: (p) => `${p.phase}: ${p.message}`,
};

export function registerWorkersCommands(program: Command, cli: CliRuntime): void {
  program
    .command('launch')
    .argument('<plan-id>', 'a stored plan (see `outpost plans`)')
    .description('launch a plan as engine processes over SSH: preflight, model copy, start, readiness, test prompt, router (Ctrl-C stops and rolls back)')
    .option('--engine <engine>', ENGINE_KINDS.join('|'), oneOf(ENGINE_KINDS), 'llama.cpp')
    .option('--port <port>', "the head's API port", integerBetween(1024, 65535), 8181)
    .option('--rpc-transport <transport>', 'ssh: rpc-servers on loopback behind one-port SSH tunnels; lan: direct, unauthenticated (isolated fabrics only)', oneOf(['ssh', 'lan'] as const), 'ssh')
    .option('--user <user>', 'SSH login on the hosts (default: the login that inventoried the nodes)')
    .option('--key <file>', 'SSH private key (default: the site key)')
    .option('--template <command>', 'custom engine: command with {model} {host} {port} {stage} {firstLayer} {lastLayer} {layers} {node} {head} {headPort} {runDir}')
    .option('--threads <n>', 'threads per engine process', integerBetween(1, 1024), 1)
    .action(async (planId: string, opts: LaunchOptions) => {
      const deploymentId = `dep-${randomBytes(5).toString('hex')}`;
      await runJob(cli, {
        id: deploymentId,
        progress: launchProgress,
        what: 'the launch',
        run: (signal) => cli.call('workers.launch', { planId, engine: opts.engine, port: opts.port, rpcTransport: opts.rpcTransport, user: opts.user, key: opts.key, template: opts.template, threads: opts.threads, deploymentId }, signal),
        human: (deployment) => `${formatDeployments([deployment])}\n\nsupervised by the data dir's site service (\`outpost ui\` starts it when none runs); stop with \`outpost stop ${deployment.id}\``,
      });
    });

  const workers = program
    .command('workers')
    .description('deployments and their workers: state, uptime, restart counts')
    .option('--all', 'include stopped and failed deployments')
    .action(async (opts: { all?: boolean }) => {
      const deployments = await cli.call('workers.list', { all: opts.all === true });
      cli.print(deployments, () => formatDeployments(deployments));
    });

  // `outpost stop X`, and `outpost workers stop X` as one reads it beside `outpost workers`.
  for (const parent of [program, workers]) {
    parent
      .command('stop')
      .argument('<deployment>', 'a deployment id (see `outpost workers`)')
      .description('stop a deployment: TERM then KILL, endpoint withdrawn, tunnels and keys removed')
      .action(async (deployment: string) => {
        const stopped = await cli.call('workers.stop', { deployment });
        cli.print(stopped, () => `${stopped.id}: ${stopped.state}${stopped.detail ? ` — ${stopped.detail}` : ''}`);
      });
  }

  program
    .command('restore')
    .argument('<deployment>', 'a deployment that replaced another after a lost host (see `outpost workers`)')
    .description('go back to the original plan once its lost hosts answer: launch it again, move the traffic to it, stop the replacement')
    .action(async (deployment: string) => {
      const restored = await cli.call('workers.restore', { deployment });
      cli.print(restored, () => `${formatDeployments([restored])}\n\n${deployment} stopped; the traffic goes to ${restored.id}`);
    });

  program
    .command('logs')
    .argument('<deployment>', 'a deployment id')
    .description("a deployment's worker logs")
    .option('--worker <name>', 'one worker (head, rpc-1, tunnel-1, …)')
    .option('--lines <n>', 'lines per worker', integerBetween(1, 5000), 50)
    .option('--follow', 'keep printing new lines (Ctrl-C ends)')
    .action(async (deployment: string, opts: { worker?: string; lines: number; follow?: boolean }) => {
      const tails = await cli.call('workers.logs', { deployment, worker: opts.worker, lines: opts.lines });
      cli.print(tails, () => tails.map((t) => `== ${t.worker} on ${t.node} ==\n${t.lines.join('\n')}`).join('\n'));
      if (!opts.follow) return;
      const last = new Map(tails.map((t) => [t.worker, t.lines]));
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      while (!controller.signal.aborted) {
        await sleep(1000, undefined, { signal: controller.signal }).catch(() => undefined);
        if (controller.signal.aborted) break;
        for (const t of await cli.call('workers.logs', { deployment, worker: opts.worker, lines: 200 })) {
          const fresh = linesAfter(last.get(t.worker) ?? [], t.lines);
          const prefix = tails.length > 1 ? `[${t.worker}] ` : '';
          if (fresh.gap) cli.stdout.write(`${prefix}… (lines may be missing: more than 200 new lines, or the log was rotated)\n`);
          for (const line of fresh.lines) cli.stdout.write(`${prefix}${terminalSafe(line)}\n`);
          last.set(t.worker, t.lines);
        }
      }
    });
}
