import { InvalidArgumentError, Option, type Command } from 'commander';
import { fileLogger } from '../../../platform/log.js';
import { SUPERVISED_ENV, startRouter } from '../../../router/index.js';
import type { ApiKeyInfo, Endpoint, RouterStatus } from '../../../../shared/domain/router.js';
import { integerBetween } from './options.js';
import { registerRouterListenCommand } from './router-listen.js';
import type { CliRuntime } from '../runtime.js';
import { showCommand } from './show-command.js';

const modelList = (value: string) => {
  const models = value
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (models.length === 0) throw new InvalidArgumentError('expected model names separated by commas');
  return models;
};

/** True once the app writes its line on our stdin; false when stdin ends first or SIGTERM comes. */
function activated(): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    const done = (go: boolean) => {
      process.stdin.removeAllListeners('data').pause();
      process.removeListener('SIGTERM', stop);
      resolve(go);
    };
    const stop = () => done(false);
    process.once('SIGTERM', stop);
    process.stdin.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('\n')) done(true);
    });
    process.stdin.once('end', () => done(seen.includes('\n'))).once('error', () => done(false));
  });
}

export function registerRouterCommands(program: Command, cli: CliRuntime): void {
  const router = program
    .command('router')
    .description('serve the OpenAI-compatible router in the foreground; manage its endpoints, API keys and policy')
    .option('--port <port>', 'port to listen on (0 picks a free one)', integerBetween(0, 65535), 8080)
    .option('--host <addr>', 'address to listen on (0.0.0.0 for the whole site network)', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      // The core brings the schema up to date once; the router itself then only reads the store.
      const layout = cli.openCore().layout;
      cli.close();
      const supervised = process.env[SUPERVISED_ENV] === '1';
      if (supervised) {
        for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
        // Loaded, the app's standby waits for its word; one whose core died before it was needed just ends.
        if (!(await activated())) return;
      }
      const running = await startRouter({ dataDir: layout.root, databaseFile: layout.database, host: opts.host, port: opts.port, log: fileLogger(layout.logs, 'router') });
      // Listen for the stop signals before saying we are up: whoever reads that line may stop us at once.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        if (supervised) {
          // Started by the app's core: a Ctrl-C or a closed terminal reaches the core's whole process group, and the
          // core decides when we stop. A core killed outright leaves us serving (the site's traffic must not depend
          // on it); the next core adopts us. Its pipes to us are gone then: writing to them must not end us.
          for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        } else {
          process.once('SIGINT', resolve);
          process.once('SIGHUP', resolve);
        }
      });
      cli.print({ url: running.url, port: running.port, pid: process.pid, configVersion: running.configVersion() }, () => `router listening on ${running.url} (config version ${running.configVersion()}); Ctrl-C stops it`);
      await stopped;
      await running.close();
    });

  registerRouterListenCommand(router, cli);

  const endpoints = router.command('endpoints').description('the OpenAI-compatible endpoints the router sends traffic to');
  endpoints
    .command('add')
    .description('register an endpoint (a running router picks it up within a second)')
    .argument('<name>', 'endpoint name, e.g. gpu-a')
    .argument('<url>', 'server root, e.g. http://10.0.0.5:8080 (without /v1)')
    .requiredOption('--models <a,b>', 'models it serves', modelList)
    .addOption(new Option('--tier <tier>', "site: this site's nodes; edge: an edge datacenter; upstream: another router or a cloud endpoint").choices(['site', 'edge', 'upstream']).default('site'))
    .option('--slots <n>', 'requests it serves at once (llama-server --parallel)', integerBetween(1, 1024), 1)
    .option('--replace', 'change an existing endpoint of that name', false)
    .option('--allow-address', 'confirm an address a site does not expect: link-local, multicast, unspecified, broadcast, reserved or a cloud metadata service', false)
    .action(async (name: string, url: string, opts: { models: string[]; tier: 'site' | 'edge' | 'upstream'; slots: number; replace: boolean; allowAddress: boolean }) => {
      const endpoint = await cli.call('router.endpoints.add', { name, url, tier: opts.tier, models: opts.models, slots: opts.slots, replace: opts.replace, allowAddress: opts.allowAddress });
      cli.print(endpoint, () => `endpoint ${endpoint.name} (${endpoint.tier}) ${endpoint.url} serves ${endpoint.models.join(', ')}`);
    });
  showCommand(endpoints, cli, 'list', 'endpoints by tier', 'router.endpoints.list', formatEndpoints);
  endpoints
    .command('remove')
    .argument('<name>')
    .description('stop routing to an endpoint (streams running on it finish)')
    .action(async (name: string) => {
      const result = await cli.call('router.endpoints.remove', { name });
      cli.print(result, () => `removed endpoint ${result.removed}`);
    });

  const keys = router.command('keys').description("API keys of the site's applications (stored as hashes)");
  keys
    .command('add')
    .argument('<app>', 'the application this key is for')
    .option('--models <a,b>', 'limit the key to these models', modelList)
    .description('create a key; it is printed once and cannot be shown again')
    .action(async (app: string, opts: { models?: string[] }) => {
      const created = await cli.call('router.keys.add', opts.models ? { app, models: opts.models } : { app });
      cli.print(created, () => `API key for ${created.app} (id ${created.id}${created.models ? `, models ${created.models.join(', ')}` : ', every model'}):\n\n  ${created.key}\n\nCopy it now: Outpost keeps only its hash and cannot show it again.`);
    });
  showCommand(keys, cli, 'list', 'keys by app (never the key itself)', 'router.keys.list', formatKeys);
  keys
    .command('revoke')
    .argument('<id>', 'key id (from `outpost router keys list`)')
    .description('revoke a key; the router refuses it within a second')
    .action(async (id: string) => {
      const revoked = await cli.call('router.keys.revoke', { id });
      cli.print(revoked, () => `revoked key ${revoked.id} (${revoked.app})`);
    });

  const policy = router.command('policy').description('retries, timeouts, breaker, probes and affinity');
  policy.command('show').action(async () => {
    const current = await cli.call('router.policy.show', {});
    cli.print(current, () =>
      Object.entries(current)
        .map(([k, v]) => `${k.padEnd(20)} ${String(v)}`)
        .join('\n'),
    );
  });
  policy
    .command('set')
    .argument('<json>', 'fields to change, e.g. \'{"maxRetries":1}\'')
    .action(async (json: string) => {
      let patch: unknown;
      try {
        patch = JSON.parse(json);
      } catch {
        throw new InvalidArgumentError('expected a JSON object, e.g. \'{"maxRetries":1}\'');
      }
      const next = await cli.call('router.policy.set', patch as never);
      cli.print(next, () =>
        Object.entries(next)
          .map(([k, v]) => `${k.padEnd(20)} ${String(v)}`)
          .join('\n'),
      );
    });

  showCommand(router, cli, 'status', "the running router's view: health, in-flight, TTFT and breakers per endpoint", 'router.status', formatStatus);
  const retries = router.command('retries').description('the retry log of the router process');
  showCommand(
    retries,
    cli,
    'journal',
    'copy retries logged since the last copy into the ops journal (the app does this every few seconds)',
    'router.retries.journal',
    (result) => `${result.journaled} retr${result.journaled === 1 ? 'y' : 'ies'} copied into the ops journal`,
  );
}

function formatEndpoints(list: Endpoint[]): string {
  if (list.length === 0) return 'no endpoints yet — add one with `outpost router endpoints add <name> <url> --models <m>`';
  return list.map((e) => `${e.tier.padEnd(9)} ${e.name.padEnd(16)} ${e.url.padEnd(32)} slots ${e.slots}  ${e.models.join(', ')}`).join('\n');
}

function formatKeys(list: ApiKeyInfo[]): string {
  if (list.length === 0) return 'no API keys yet — create one with `outpost router keys add <app>`';
  return list.map((k) => `${k.id}  ${k.app.padEnd(20)} ${(k.models ?? ['every model']).join(', ').padEnd(24)} ${k.revokedAt ? `revoked ${k.revokedAt}` : `created ${k.createdAt}`}`).join('\n');
}

function formatStatus(status: RouterStatus): string {
  const head =
    status.running && status.stats
      ? `router running at ${status.stats.listen} (pid ${status.stats.pid}, config version ${status.stats.configVersion} of ${status.configVersion}), ${status.stats.inFlight} in flight`
      : 'the router is not running (start it with `outpost router`)';
  const rows = (status.stats?.endpoints ?? []).map(
    (e) => `${e.tier.padEnd(9)} ${e.name.padEnd(16)} ${e.healthy === null ? 'unprobed' : e.healthy ? 'up' : 'DOWN'}  breaker ${e.breaker.padEnd(9)} in flight ${String(e.inFlight).padEnd(4)} TTFT ${e.ttftMs === null ? '—' : `${e.ttftMs} ms`}`,
  );
  const supervised = status.supervised ? [formatSupervised(status.supervised)] : [];
  const pending = status.retriesPending > 0 ? [`${status.retriesPending} retries not yet in the ops journal (the app copies them; or \`outpost router retries journal\`)`] : [];
  return [head, ...supervised, ...rows, ...pending].join('\n');
}

function formatSupervised(s: NonNullable<RouterStatus['supervised']>): string {
  const restarts = `${s.restarts} restart${s.restarts === 1 ? '' : 's'}`;
  switch (s.state) {
    case 'external':
      return `the app is not running its own router: pid ${s.pid} (started elsewhere) holds this data dir`;
    case 'restarting':
      return `the app restarts the router at ${s.nextStartAt} (${restarts}; it ended: ${s.lastExit})`;
    default:
      return `supervised by the app (pid ${s.supervisorPid}): ${s.state}${s.pid ? `, router pid ${s.pid}` : ''}, ${restarts}${s.lastExit ? `; last ended: ${s.lastExit}` : ''}`;
  }
}
