/** Why one attempt at an endpoint ended before the client got a byte. */
export type EarlyFailureKind = 'connect' | 'status' | 'first-byte-timeout' | 'broken-before-first-byte';

export interface EarlyFailure {
  kind: EarlyFailureKind;
  detail: string;
}

/**
 * Upstream answers that are the endpoint's fault (5xx) or its overload (429) are
 * retried elsewhere; any other 4xx is the request's fault and goes back as it is.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** 429 means "busy", not "broken": it moves the request but does not count towards opening the breaker. */
export function countsAgainstBreaker(failure: EarlyFailure, status?: number): boolean {
  return !(failure.kind === 'status' && status === 429);
}

/**
 * A request is retried only while the client has received nothing, it is still
 * connected, and the attempt budget (1 + maxRetries) is not spent. After the
 * first byte a retry could duplicate or splice output, so it never happens.
 */
export function mayRetry(attempt: number, maxRetries: number, clientConnected: boolean): boolean {
  return clientConnected && attempt <= maxRetries;
}

/** The code the passthrough client gives a reused keep-alive connection that closed before any answer. */
export const STALE_CONNECTION_CODE = 'UPSTREAM_STALE_CONNECTION';

/**
 * A keep-alive connection the endpoint closed before answering (it dropped it as idle, or reached its
 * per-connection request cap, just as the router reused it) says nothing about the endpoint's health: such
 * an attempt may run once more on the same endpoint over a fresh connection before the endpoint is skipped.
 */
export function isStaleConnection(failure: EarlyFailure): boolean {
  return failure.kind === 'connect' && failure.detail.startsWith(STALE_CONNECTION_CODE);
}

export function describeFailure(endpoint: string, failure: EarlyFailure): string {
  return `${endpoint}: ${failure.detail}`;
}
