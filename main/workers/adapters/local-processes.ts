import type { LocalProcesses } from '../core/ports.js';
import { pidAlive } from '../../platform/process-alive.js';

export const localProcesses: LocalProcesses = { self: process.pid, alive: pidAlive };
