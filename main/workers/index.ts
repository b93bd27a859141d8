/** The Workers capability: plans launched as engine processes over SSH, supervised. */
export { WorkersService } from './core/service.js';
export { DEFAULT_REPLAN_GRACE_MS, Supervisor, type SupervisorOptions } from './core/supervisor.js';
export type { WorkersDeps, LocalModel } from './core/ports.js';
export { DeploymentRepository } from './adapters/deployment-repository.js';
export { ActualsRepository } from './adapters/actuals-repository.js';
export { liveDeployments } from './adapters/live-deployments.js';
export { localModel } from './adapters/local-model.js';
export { PinnedHosts } from './adapters/pinned-hosts.js';
export { headApi } from './adapters/head-api.js';
export { PidFileLock, supervisorLock } from './adapters/pid-file-lock.js';
export { ownerId } from './adapters/owner-id.js';
export { localProcesses } from './adapters/local-processes.js';
export { systemClock } from './adapters/system-clock.js';
export { workersHandlers } from './handlers.js';
export { layerAssignment } from './core/engines/index.js';
export { linesAfter } from './core/log-follow.js';
export { describeTransfer } from './core/transfer-meter.js';
