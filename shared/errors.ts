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
  /** For bad input: what was wrong with each input field, by field name, so a form can say it beside the field. */
  fields?: Record<string, string> | undefined;
}

export class OutpostError extends Error implements ErrorInfo {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly fields: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown; fields?: Record<string, string> }) {
    super(message, options);
    this.name = 'OutpostError';
    this.code = code;
    this.hint = hint;
    this.fields = options?.fields;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.fields === undefined ? {} : { fields: this.fields }),
    };
  }
}

export function isOutpostError(value: unknown): value is OutpostError {
  return value instanceof OutpostError;
}
