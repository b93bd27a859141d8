import type { Core } from '../../app/core.js';
import { rendererDir } from '../../platform/version.js';
import { startBridge } from './server.js';

/**
 * `outpost ui`: the core as a long-lived process behind the browser bridge.
 * Resolves when the process is asked to stop (Ctrl-C, SIGTERM).
 */
export async function serveBrowserMode(core: Core, options: { port: number; json: boolean; out: NodeJS.WritableStream }): Promise<void> {
  const bridge = await startBridge({ dispatcher: core.dispatcher, events: core.events, log: core.log, staticDir: rendererDir(), port: options.port });
  core.log.info('browser mode started', { port: bridge.port });
  options.out.write(
    options.json
      ? `${JSON.stringify({ url: bridge.url, port: bridge.port, dataDir: core.layout.root })}\n`
      : `Outpost is serving on 127.0.0.1 only. Open this URL (it carries this session's access token):\n\n  ${bridge.url}\n\ndata dir: ${core.layout.root}\nPress Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await bridge.close();
  core.log.info('browser mode stopped');
}
