export { SetupService, type SetupDeps } from './service.js';
export { confirmationsFromJournal, type SetupConfirmation, type SetupFacts } from './core/progress.js';
export { setupHandlers } from './handlers.js';
