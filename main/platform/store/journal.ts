import type { Actor, JournalEntry } from '../../../shared/domain/journal.js';
import type { ErrorCode } from '../../../shared/errors.js';
import type { Db } from './database.js';

export interface JournalRecord {
  actor: Actor;
  user: string;
  action: string;
  input: unknown;
  outcome: 'ok' | 'error';
  errorCode?: ErrorCode | undefined;
  detail?: string | undefined;
}

interface JournalRow {
  id: number;
  at: string;
  actor: Actor;
  user: string;
  action: string;
  input_json: string;
  outcome: 'ok' | 'error';
  error_code: ErrorCode | null;
  detail: string | null;
}

/** The ops journal: an append-only record of every state-changing call. */
export class Journal {
  private readonly insert;
  private readonly recentQuery;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insert = db.prepare(
      `INSERT INTO journal (at, actor, user, action, input_json, outcome, error_code, detail)
       VALUES (@at, @actor, @user, @action, @input_json, @outcome, @error_code, @detail)`,
    );
    this.recentQuery = db.prepare('SELECT * FROM journal ORDER BY id DESC LIMIT ?');
  }

  record(entry: JournalRecord): void {
    this.insert.run({
      at: this.now().toISOString(),
      actor: entry.actor,
      user: entry.user,
      action: entry.action,
      input_json: JSON.stringify(entry.input ?? null),
      outcome: entry.outcome,
      error_code: entry.errorCode ?? null,
      detail: entry.detail ?? null,
    });
  }

  recent(limit: number): JournalEntry[] {
    return (this.recentQuery.all(limit) as JournalRow[]).map(toEntry);
  }

  /** Entries after `afterId`, oldest first: what a site reports to HQ since its last acknowledged bundle. */
  since(afterId: number, limit: number): JournalEntry[] {
    return (this.db.prepare('SELECT * FROM journal WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as JournalRow[]).map(toEntry);
  }

  /** The successful entries of one call, newest first: what a person confirmed, read back after a restart. */
  succeeded(action: string, limit: number): JournalEntry[] {
    return (this.db.prepare("SELECT * FROM journal WHERE action = ? AND outcome = 'ok' ORDER BY id DESC LIMIT ?").all(action, limit) as JournalRow[]).map(toEntry);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n;
  }
}

function toEntry(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    user: row.user,
    action: row.action,
    input: JSON.parse(row.input_json) as unknown,
    outcome: row.outcome,
    errorCode: row.error_code,
    detail: row.detail,
  };
}
