/** Every page of PRODUCT.md; `capability` names the part that fills a page not built yet. */
export interface Route {
  path: string;
  label: string;
  capability: string | null;
}

export const ROUTES: readonly Route[] = [
  { path: 'overview', label: 'Overview', capability: null },
  { path: 'nodes', label: 'Nodes', capability: 'Discovery' },
  { path: 'plan', label: 'Plan', capability: 'Planner' },
  { path: 'workers', label: 'Workers', capability: 'Workers' },
  { path: 'router', label: 'Router', capability: 'Router' },
  { path: 'sync', label: 'Sync', capability: 'Sync' },
  { path: 'monitoring', label: 'Monitoring', capability: 'Telemetry & offline' },
];

export function routeFromHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return ROUTES.find((r) => r.path === path) ?? (ROUTES[0] as Route);
}
