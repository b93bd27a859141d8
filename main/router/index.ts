import type { RouterProcessOptions, RunningRouter } from './router-process.js';
import type { RouterService } from './service.js';
import { RouterSupervisor } from './supervisor.js';
import { envInteger } from '../platform/env-settings.js';
import { effectiveListen } from './core/listen-address.js';
import { ListenSettingFile, bindProblem, listenFromEnvironment, workstationAddresses } from './adapters/listen-setting.js';
import { ListenService } from './listen-service.js';
import { RouterReportReader, routerFiles, writeSupervisedRouter } from './adapters/router-files.js';
import { ROUTER_STOP_WAIT_MS, spawnRouterChild, waitUntilExited } from './adapters/router-child.js';
import { lockHolder } from './adapters/pid-lock.js';
import { pidAlive } from '../platform/process-alive.js';

export { RouterService, type RouterServiceDeps } from './service.js';
export { RouterSupervisor, type RouterChild, type RouterSupervisorDeps } from './supervisor.js';
export { RouterRepository } from './adapters/repository.js';
export { RouterReportReader };
export { ROUTER_NODE_FLAGS, SUPERVISED_ENV } from './adapters/router-child.js';
export { routerHandlers } from './handlers.js';
export { ListenService };
export type { RouterProcessOptions, RunningRouter };

/** Starts the router process's server; undici and prom-client load only here, not in every CLI command. */
export async function startRouter(options: RouterProcessOptions): Promise<RunningRouter> {
  const { startRouter: start } = await import('./router-process.js');
  return start(options);
}

/** Where the router listens (`router.listen.*`): the stored setting, the environment over it, the supervisor that applies it. */
export function openListenService(dataDir: string, deps: { router: RouterService; supervisor: () => RouterSupervisor | null }): ListenService {
  const reports = new RouterReportReader(dataDir);
  return new ListenService({
    setting: new ListenSettingFile(dataDir),
    environment: () => listenFromEnvironment(),
    workstation: workstationAddresses,
    bindProblem,
    serving: () => reports.liveStats()?.listen ?? null,
    supervisor: deps.supervisor,
    supervised: () => reports.supervised(),
    models: () => [...new Set(deps.router.endpoints().flatMap((e) => e.models))].sort(),
  });
}

/**
 * The router as the app's long-lived core runs it: `outpost router` as a child process on the stored listen
 * address (`router.listen.set`; default 127.0.0.1:8080) unless OUTPOST_ROUTER_HOST / OUTPOST_ROUTER_PORT override
 * it, restarted with capped backoff.
 */
export function superviseRouter(dataDir: string, service: RouterService, now: () => Date, log: { info(message: string, fields?: Record<string, unknown>): void }): RouterSupervisor {
  const { lock } = routerFiles(dataDir);
  const supervisor = new RouterSupervisor({
    spawn: (address) => spawnRouterChild({ dataDir, ...address }),
    address: effectiveListen(new ListenSettingFile(dataDir).read(), listenFromEnvironment()).address,
    lockHolder: () => {
      const pid = lockHolder(lock);
      return pid !== null && pidAlive(pid) ? pid : null;
    },
    previousState: () => new RouterReportReader(dataDir).lastSupervised(),
    alive: pidAlive,
    stopPid: (pid) => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      if (!waitUntilExited(pid, ROUTER_STOP_WAIT_MS)) process.kill(pid, 'SIGKILL');
    },
    journalRetries: () => service.journalRetries(),
    writeState: (state) => writeSupervisedRouter(dataDir, state),
    now,
    log: (message, fields) => log.info(message, fields),
    tickMs: envInteger('OUTPOST_ROUTER_SUPERVISE_INTERVAL_MS', 1000, { min: 50, max: 60_000 }),
    backoffBaseMs: 1_000,
    backoffCapMs: 30_000,
    stableMs: 3_000,
  });
  supervisor.start();
  return supervisor;
}
export { routerInFlight } from './core/in-flight.js';
