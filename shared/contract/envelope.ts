import type { ErrorCode, ErrorInfo } from '../errors.js';

/** What crosses every transport: a result or a typed error, never a thrown exception. */
export type Envelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorInfo };

export function okEnvelope<T>(result: T): Envelope<T> {
  return { ok: true, result };
}

export function errorEnvelope(error: ErrorInfo): Envelope<never> {
  return { ok: false, error };
}

/** Mapped once, so the bridge and any later HTTP surface agree. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION: 412,
  PAYLOAD_TOO_LARGE: 413,
  CANCELLED: 499,
  INTERNAL: 500,
  STORAGE: 500,
  UNAVAILABLE: 503,
};
