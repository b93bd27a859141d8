import type { ComponentType } from 'react';
import { MonitoringPage } from '../monitoring/MonitoringPage.js';
import { NodesPage } from '../nodes/NodesPage.js';
import { OverviewPage } from '../overview/OverviewPage.js';
import { PlanPage } from '../plan/PlanPage.js';
import { ModelsPage } from '../models/ModelsPage.js';
import { SyncPage } from '../sync/SyncPage.js';
import { RouterPage } from '../router/RouterPage.js';
import { SetupPage } from '../setup/SetupPage.js';
import { WorkersPage } from '../workers/WorkersPage.js';
import { SettingsPage } from '../settings/SettingsPage.js';

/**
 * Every page of PRODUCT.md. A page whose capability has not shipped has
 * `page: null` and names that capability; it shows an honest placeholder.
 */
export interface Route {
  path: string;
  label: string;
  capability: string;
  page: ComponentType | null;
}

export const ROUTES: readonly Route[] = [
  { path: 'overview', label: 'Overview', capability: 'Foundation', page: OverviewPage },
  { path: 'nodes', label: 'Nodes', capability: 'Discovery', page: NodesPage },
  { path: 'plan', label: 'Plan', capability: 'Planner', page: PlanPage },
  { path: 'models', label: 'Models', capability: 'Planner', page: ModelsPage },
  { path: 'workers', label: 'Workers', capability: 'Workers', page: WorkersPage },
  { path: 'router', label: 'Router', capability: 'Router', page: RouterPage },
  { path: 'sync', label: 'Sync', capability: 'Sync', page: SyncPage },
  { path: 'monitoring', label: 'Monitoring', capability: 'Telemetry & offline', page: MonitoringPage },
  { path: 'setup', label: 'First visit', capability: 'Setup', page: SetupPage },
  { path: 'settings', label: 'Settings', capability: 'Settings', page: SettingsPage },
];

export function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return ROUTES.find((r) => r.path === path) ?? (ROUTES[0] as Route);
}
