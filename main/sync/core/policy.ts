import { DEFAULT_POLICY, type RouterPolicy } from '../../../shared/domain/router.js';
import type { Policy } from '../../../shared/domain/sync.js';

/**
 * What a site's router runs with under HQ's policy record. The record decides
 * every field (a field it leaves out takes the router's default, not whatever
 * was there before), so the result does not depend on which bundles arrived
 * first, and any difference from it in the router's table is a local edit.
 */
export function routerPolicyFrom(policy: Policy): RouterPolicy {
  return { ...DEFAULT_POLICY, ...policy.router, maxRetries: policy.routing.failover.maxAttempts - 1 };
}

export function sameRouterPolicy(a: RouterPolicy, b: RouterPolicy): boolean {
  return (Object.keys(DEFAULT_POLICY) as Array<keyof RouterPolicy>).every((field) => a[field] === b[field]);
}
