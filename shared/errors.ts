/**
 * The closed set of error codes that cross every boundary (IPC, bridge, CLI).
 * Callers branch on `code`, never on message text.
 */
export const ERROR_CODES = [
  'INVALID_INPUT', // the caller sent something the schema or a domain rule rejects
  'NOT_FOUND', // a named thing (node, plan, peer) does not exist
  'CONFLICT', // the operation would overwrite or contradict existing state
  'PRECONDITION', // something must happen first (e.g. `outpost keys init`)
  'UNAUTHORIZED', // missing or wrong credentials (bridge token, API key)
  'FORBIDDEN', // credentials fine, origin or role not allowed
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE', // a capability that is not built yet, or a remote part that is down
  'CANCELLED',
  'STORAGE', // the data dir or database cannot be used as it is
  'INTERNAL', // a bug: logged with detail, shown without secrets
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  /** What was wrong, in one sentence a technician understands. */
  message: string;
  /** What to do about it. */
  hint?: string | undefined;
}

export class OutpostError extends Error implements ErrorInfo {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutpostError';
    this.code = code;
    this.hint = hint;
  }

  toInfo(): ErrorInfo {
    return this.hint === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isOutpostError(value: unknown): value is OutpostError {
  return value instanceof OutpostError;
}
