export { RouterService, type RouterServiceDeps } from './service.js';
export { RouterRepository } from './adapters/repository.js';
export { RouterReportReader } from './adapters/router-files.js';
export { routerHandlers } from './handlers.js';
export { startRouter, type RouterProcessOptions, type RunningRouter } from './router-process.js';
