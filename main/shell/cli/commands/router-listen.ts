import type { Command } from 'commander';
import type { RouterListen } from '../../../../shared/domain/router.js';
import { integerBetween } from './options.js';
import type { CliRuntime } from '../runtime.js';

/**
 * `outpost router listen [--host H] [--port P]`: shows where the router listens, or moves it. `router` itself
 * takes --host and --port (the foreground router's address) and commander gives them to it wherever they stand,
 * so what the technician typed after `listen` is read from there.
 */
export function registerRouterListenCommand(router: Command, cli: CliRuntime): void {
  router
    .command('listen')
    .description("show or set where the app's router listens (an address of this workstation, 0.0.0.0 for all, 127.0.0.1 for this one only; port 1024–65535); the router restarts there")
    .option('--host <addr>', 'address to listen on')
    .option('--port <port>', 'port to listen on', integerBetween(0, 65535))
    .action(async (opts: { host?: string; port?: number }) => {
      const given = (name: 'host' | 'port') => opts[name] ?? (router.getOptionValueSource(name) === 'cli' ? (router.opts()[name] as string | number) : undefined);
      const host = given('host') as string | undefined;
      const port = given('port') as number | undefined;
      const listen = host === undefined && port === undefined ? await cli.call('router.listen.show', {}) : await cli.call('router.listen.set', { ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}) });
      cli.print(listen, () => formatListen(listen));
    });
}

function formatListen(listen: RouterListen): string {
  return [
    `the router listens on ${listen.host}:${listen.port}${listen.serving ? ` (serving at ${listen.serving})` : ' (not running now)'}`,
    ...(listen.note ? [listen.note] : []),
    ...(listen.warning ? [`warning: ${listen.warning}`] : []),
    'applications use:',
    ...listen.baseUrls.map((url) => `  ${url}`),
  ].join('\n');
}
