/** The Workers capability: plans launched as engine processes over SSH, supervised. */
export { WorkersService, type WorkersDeps, type LocalModel } from './service.js';
export { Supervisor, type SupervisorOptions } from './supervisor.js';
export { DeploymentRepository } from './adapters/deployment-repository.js';
export { planModelFile, localModel } from './adapters/site-facts.js';
export { workersHandlers } from './handlers.js';
export { layerAssignment } from './core/engines/index.js';
export { linesAfter } from './core/log-follow.js';
