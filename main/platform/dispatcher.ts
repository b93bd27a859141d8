import os from 'node:os';
import type { z } from 'zod';
import type { Actor } from '../../shared/domain/journal.js';
import { calls, errorEnvelope, isCallName, okEnvelope, type CallName, type CallOutput, type Envelope, type ParsedInput } from '../../shared/contract/index.js';
import { OutpostError, type ErrorInfo } from '../../shared/errors.js';
import type { JournalRecord } from './store/index.js';
import type { Logger } from './log.js';

export interface CallContext {
  actor: Actor;
  /** The OS account behind the transport, for the journal. */
  user: string;
  signal?: AbortSignal | undefined;
}

/** One implementation per declared call; the compiler refuses a missing one. */
export type Handlers = {
  [K in CallName]: (input: ParsedInput<K>, context: CallContext) => Promise<CallOutput<K>> | CallOutput<K>;
};

/** The slice of the handler table that one capability provides, e.g. `HandlersFor<'identity'>`. */
export type HandlersFor<Capability extends string> = Pick<Handlers, Extract<CallName, `${Capability}.${string}`>>;

export interface JournalSink {
  record(entry: JournalRecord): void;
}

/**
 * The single entry point of the core. Every transport (Electron IPC, browser
 * bridge, CLI) hands it a name and untrusted input; it validates the input,
 * runs the service, validates the output and journals state changes. It never
 * throws: the answer is always an envelope.
 */
export class Dispatcher {
  constructor(
    private readonly handlers: Handlers,
    private readonly journal: JournalSink,
    private readonly log: Logger,
  ) {}

  async invoke(name: string, rawInput: unknown, context: CallContext): Promise<Envelope> {
    if (!isCallName(name)) {
      return errorEnvelope({
        code: 'NOT_FOUND',
        message: `there is no call named "${String(name).slice(0, 80)}"`,
        hint: `known calls: ${Object.keys(calls).join(', ')}`,
      });
    }
    const spec = calls[name];
    const parsed = spec.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      return errorEnvelope({ code: 'INVALID_INPUT', message: describeSchemaError(parsed.error), hint: `see the input of ${name} in shared/contract`, fields: schemaErrorFields(parsed.error) });
    }
    let envelope: Envelope;
    try {
      const handler = this.handlers[name] as (input: unknown, context: CallContext) => unknown;
      const result = await handler(parsed.data, context);
      const checked = spec.output.safeParse(result);
      if (!checked.success) {
        this.log.error('a service answered outside its declared output', { call: name, issues: describeSchemaError(checked.error) });
        envelope = errorEnvelope(internalError());
      } else {
        envelope = okEnvelope(checked.data);
      }
    } catch (error) {
      envelope = errorEnvelope(this.toErrorInfo(name, error));
    }
    if (spec.mutates) this.journalCall(name, parsed.data, context, envelope);
    return envelope;
  }

  private toErrorInfo(name: string, error: unknown): ErrorInfo {
    if (error instanceof OutpostError) return error.toInfo();
    if (isAbort(error)) return { code: 'CANCELLED', message: `${name} was cancelled` };
    this.log.error('unexpected failure in a call', { call: name, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return internalError();
  }

  private journalCall(action: string, input: unknown, context: CallContext, envelope: Envelope): void {
    try {
      this.journal.record({
        actor: context.actor,
        user: context.user,
        action,
        input,
        outcome: envelope.ok ? 'ok' : 'error',
        errorCode: envelope.ok ? undefined : envelope.error.code,
        detail: envelope.ok ? undefined : envelope.error.message,
      });
    } catch (error) {
      // The call itself has happened; losing its journal line must be loud, not fatal.
      this.log.error('could not write the ops journal', { action, error: String(error) });
    }
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function internalError(): ErrorInfo {
  return { code: 'INTERNAL', message: 'Outpost hit an internal error', hint: 'the details are in logs/outpost.log in the data dir; please report them' };
}

/** "siteId: a site id is 3–64 characters…; role: Invalid option" — the schema's own words, with where. */
/** The first problem of each top-level input field, for a form to show beside that field. */
export function schemaErrorFields(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (field !== undefined) fields[String(field)] ??= issue.message;
  }
  return fields;
}

export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : 'input';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Who is calling, as the journal records it. */
export function callContext(actor: CallContext['actor'], signal?: AbortSignal): CallContext {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // A uid without a passwd entry (containers) has no name; the journal says so.
  }
  return { actor, user, signal };
}
