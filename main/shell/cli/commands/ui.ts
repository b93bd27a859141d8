import { OutpostError } from '../../../../shared/errors.js';
import { untilStopSignal } from '../../bridge/serve.js';
import { attachToSite } from '../../service/attach.js';
import { readServiceRecord } from '../../service/service-record.js';
import type { ConnectionState } from '../../service/site-connection.js';
import type { CliRuntime } from '../runtime.js';
import { terminalSafe } from '../terminal-text.js';

/**
 * `outpost ui`: attaches to the data dir's site service (started in the background when none runs), prints the
 * URL of its window and stays attached until Ctrl-C (SIGTERM, SIGHUP: the terminal closed). Detaching stops
 * nothing: the router, the workers' supervision and the sampling go on in the service.
 */
export async function attachWindow(cli: CliRuntime, port: number): Promise<void> {
  const site = await attachToSite(cli.dataDir(), { start: true, ...(port ? { port } : {}) });
  const to = site.attachedTo();
  const record = readServiceRecord(to.dataDir);
  if (!record || record.pid !== to.pid) {
    await site.close();
    throw new OutpostError('UNAVAILABLE', `the site service of ${to.dataDir} restarted while this command attached to it`, 'run `outpost ui` again');
  }
  const url = `http://127.0.0.1:${record.port}/#token=${record.token}`;
  if (port && port !== record.port) cli.stderr.write(`note: the site service already listens on port ${record.port}; --port applies to a service started by this command\n`);
  cli.stdout.write(
    cli.json
      ? `${JSON.stringify({ url, port: record.port, dataDir: to.dataDir, pid: to.pid })}\n`
      : terminalSafe(
          `The site service of ${to.dataDir} (pid ${to.pid}, kept running by ${record.managedBy === 'systemd' ? 'systemd' : record.managedBy === 'detached' ? 'itself, in the background' : 'its terminal'}) serves the Outpost window on 127.0.0.1 only.\n` +
            `Open this URL (it carries the service's access token):\n\n  ${url}\n\n` +
            'Ctrl-C detaches this terminal; the site keeps running (router, workers and their supervision, telemetry).\n' +
            'Stop the site with `outpost service stop`.\n',
        ),
  );
  cli.printedResult = true;
  // Attached until told to stop: the events socket keeps the process alive and says when the service goes away.
  const events = site.openEvents(() => undefined);
  const unwatch = site.onState((state) => cli.stderr.write(`${terminalSafe(describe(state))}\n`));
  await untilStopSignal();
  unwatch();
  events.close();
  await site.close();
}

function describe(state: ConnectionState): string {
  switch (state.state) {
    case 'reconnecting':
      return `outpost: ${state.reason}; reconnecting…`;
    case 'attached':
      return `outpost: attached to the site service again (pid ${state.to.pid})`;
    case 'refused':
      return `outpost: ${state.reason}${state.hint ? ` — ${state.hint}` : ''}`;
  }
}
