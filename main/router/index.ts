import type { RouterProcessOptions, RunningRouter } from './router-process.js';

export { RouterService, type RouterServiceDeps } from './service.js';
export { RouterRepository } from './adapters/repository.js';
export { RouterReportReader } from './adapters/router-files.js';
export { routerHandlers } from './handlers.js';
export type { RouterProcessOptions, RunningRouter };

/** Starts the router process's server; undici and prom-client load only here, not in every CLI command. */
export async function startRouter(options: RouterProcessOptions): Promise<RunningRouter> {
  const { startRouter: start } = await import('./router-process.js');
  return start(options);
}
