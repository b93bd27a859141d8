import type { Core } from '../../app/core.js';
import { rendererDir } from '../../platform/version.js';
import { startBridge } from './server.js';

/**
 * `outpost ui`: the core as a long-lived process behind the browser bridge.
 * Resolves when the process is asked to stop (Ctrl-C, SIGTERM, SIGHUP: the terminal closed). Remote workers keep
 * running: the next long-lived core adopts them (README: Workers).
 */
export async function serveBrowserMode(core: Core, options: { port: number; json: boolean; out: NodeJS.WritableStream }): Promise<void> {
  const bridge = await startBridge({ dispatcher: core.dispatcher, events: core.events, log: core.log, staticDir: rendererDir(), port: options.port });
  core.log.info('browser mode started', { port: bridge.port });
  options.out.write(
    options.json
      ? `${JSON.stringify({ url: bridge.url, port: bridge.port, dataDir: core.layout.root })}\n`
      : `Outpost is serving on 127.0.0.1 only. Open this URL (it carries this session's access token):\n\n  ${bridge.url}\n\ndata dir: ${core.layout.root}\nPress Ctrl-C to stop.\n`,
  );
  await untilStopSignal();
  await bridge.close();
  core.log.info('browser mode stopped');
}

/**
 * Resolves on Ctrl-C, SIGTERM or SIGHUP. Ctrl-C reaches the whole process group (the router child ignores it
 * and stops with us). The listeners stay until the process ends: a second signal while the caller closes the
 * core (its router child, its SSH sessions), say from a wrapper passing Ctrl-C on, must not cut that short.
 */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
  });
}
