import type { RouterStatus } from '../../../shared/domain/router.js';

/**
 * Requests still running on endpoint `name`, from the router's status: `applied` once the router process runs the
 * stored configuration (a withdrawn endpoint gets no new requests from then on); null when no router runs.
 */
export function routerInFlight(status: RouterStatus, name: string): { applied: boolean; inFlight: number } | null {
  if (!status.running || !status.stats) return null;
  const running = [...status.stats.endpoints, ...(status.stats.draining ?? [])].filter((e) => e.name === name);
  return { applied: status.stats.configVersion >= status.configVersion, inFlight: running.reduce((sum, e) => sum + e.inFlight, 0) };
}
