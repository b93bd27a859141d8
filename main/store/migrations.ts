/**
 * Numbered, forward-only schema migrations. Never edit a shipped migration:
 * add the next number. `PRAGMA user_version` records the last one applied.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ops journal',
    sql: `
      CREATE TABLE journal (
        id          INTEGER PRIMARY KEY,
        at          TEXT    NOT NULL,
        actor       TEXT    NOT NULL CHECK (actor IN ('cli', 'ui', 'electron', 'system')),
        user        TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        input_json  TEXT    NOT NULL,
        outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'error')),
        error_code  TEXT,
        detail      TEXT
      );
      CREATE INDEX journal_at ON journal (at);
    `,
  },
  {
    version: 2,
    name: 'site identity and key history',
    sql: `
      CREATE TABLE site_identity (
        singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
        site_id     TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('site', 'hq')),
        created_at  TEXT NOT NULL
      );
      -- Every public key this site ever used; private keys live only in keys/.
      CREATE TABLE key_history (
        id                  INTEGER PRIMARY KEY,
        kind                TEXT NOT NULL CHECK (kind IN ('signing', 'ssh')),
        algorithm           TEXT NOT NULL,
        public_key          TEXT NOT NULL,
        fingerprint         TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        retired_at          TEXT,
        rotation_signature  TEXT
      );
      CREATE UNIQUE INDEX key_history_one_active ON key_history (kind) WHERE retired_at IS NULL;
    `,
  },
  {
    version: 3,
    name: 'nodes and inventory history',
    sql: `
      CREATE TABLE nodes (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        kind            TEXT NOT NULL CHECK (kind IN ('workstation', 'remote')),
        address         TEXT,
        port            INTEGER,
        first_seen      TEXT NOT NULL,
        last_seen       TEXT NOT NULL,
        inventory_json  TEXT NOT NULL
      );
      CREATE TABLE inventory_history (
        id              INTEGER PRIMARY KEY,
        node_id         INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        at              TEXT NOT NULL,
        inventory_json  TEXT NOT NULL
      );
      CREATE INDEX inventory_history_node ON inventory_history (node_id, at);
      -- Sync fills this; the status bar reads it from day one.
      CREATE TABLE bundle_exchanges (
        id          INTEGER PRIMARY KEY,
        direction   TEXT NOT NULL CHECK (direction IN ('export', 'import')),
        at          TEXT NOT NULL,
        peer        TEXT,
        digest      TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'shard plans',
    sql: `
      -- A plan keeps the request, the cost table it optimised and the result, so anyone can re-check it.
      CREATE TABLE plans (
        id            TEXT PRIMARY KEY,
        created_at    TEXT NOT NULL,
        model         TEXT NOT NULL,
        quant         TEXT NOT NULL,
        objective     TEXT NOT NULL,
        request_json  TEXT NOT NULL,
        result_json   TEXT NOT NULL
      );
      CREATE INDEX plans_created ON plans (created_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
