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
  {
    version: 5,
    name: 'site discovery: host-key pins, GPUs, engines, model files, scans',
    sql: `
      -- A remote node is one SSH endpoint; its name (from its hostname) is what people type.
      CREATE UNIQUE INDEX nodes_endpoint ON nodes (address, port) WHERE kind = 'remote';
      -- Trust on first use, per endpoint like known_hosts. A different key is refused and kept as
      -- "offered" until someone accepts it explicitly (outpost hostkey accept).
      CREATE TABLE host_keys (
        address              TEXT NOT NULL,
        port                 INTEGER NOT NULL,
        key_type             TEXT NOT NULL,
        fingerprint          TEXT NOT NULL,
        pinned_at            TEXT NOT NULL,
        offered_key_type     TEXT,
        offered_fingerprint  TEXT,
        offered_at           TEXT,
        PRIMARY KEY (address, port)
      );
      -- Current GPUs, engines and model files of each node (the full inventory stays in nodes.inventory_json).
      CREATE TABLE node_gpus (
        node_id           INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        position          INTEGER NOT NULL,
        name              TEXT NOT NULL,
        uuid              TEXT,
        memory_total_mib  INTEGER,
        memory_used_mib   INTEGER,
        unified_memory    INTEGER NOT NULL CHECK (unified_memory IN (0, 1)),
        driver_version    TEXT,
        PRIMARY KEY (node_id, position)
      );
      CREATE TABLE node_engines (
        node_id  INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        engine   TEXT NOT NULL,
        version  TEXT,
        path     TEXT NOT NULL,
        PRIMARY KEY (node_id, engine, path)
      );
      CREATE TABLE node_model_files (
        node_id        INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        path           TEXT NOT NULL,
        format         TEXT NOT NULL CHECK (format IN ('gguf', 'safetensors')),
        size_bytes     INTEGER NOT NULL,
        header_digest  TEXT,
        PRIMARY KEY (node_id, path)
      );
      CREATE TABLE scans (
        id           TEXT PRIMARY KEY,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        targets      TEXT NOT NULL,
        outcome      TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'cancelled')),
        summary_json TEXT
      );
      -- One row per host a scan reached, written with that host's inventory in one transaction.
      CREATE TABLE scan_hosts (
        scan_id    TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        address    TEXT NOT NULL,
        port       INTEGER NOT NULL,
        node_id    INTEGER REFERENCES nodes (id) ON DELETE SET NULL,
        outcome    TEXT NOT NULL,
        reason     TEXT,
        diff_json  TEXT,
        PRIMARY KEY (scan_id, address, port)
      );
    `,
  },
  {
    version: 6,
    name: 'router endpoints, API keys and policy',
    sql: `
      CREATE TABLE router_endpoints (
        name         TEXT PRIMARY KEY,
        url          TEXT NOT NULL,
        tier         TEXT NOT NULL CHECK (tier IN ('site', 'edge', 'upstream')),
        models_json  TEXT NOT NULL,
        slots        INTEGER NOT NULL CHECK (slots >= 1),
        created_at   TEXT NOT NULL
      );
      -- Only a hash of each key is kept; the key itself is shown once when created.
      CREATE TABLE router_api_keys (
        id           TEXT PRIMARY KEY,
        app          TEXT NOT NULL,
        key_hash     TEXT NOT NULL UNIQUE,
        models_json  TEXT,
        created_at   TEXT NOT NULL,
        revoked_at   TEXT
      );
      CREATE TABLE router_policy (
        singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
        policy_json  TEXT NOT NULL
      );
      -- The router process polls this one row and reloads when it moves; triggers keep it honest for every writer.
      CREATE TABLE router_config_version (
        singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
        version      INTEGER NOT NULL
      );
      INSERT INTO router_config_version (singleton, version) VALUES (1, 1);
      CREATE TRIGGER router_endpoints_ins AFTER INSERT ON router_endpoints BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_endpoints_upd AFTER UPDATE ON router_endpoints BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_endpoints_del AFTER DELETE ON router_endpoints BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_api_keys_ins AFTER INSERT ON router_api_keys BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_api_keys_upd AFTER UPDATE ON router_api_keys BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_api_keys_del AFTER DELETE ON router_api_keys BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_policy_ins AFTER INSERT ON router_policy BEGIN UPDATE router_config_version SET version = version + 1; END;
      CREATE TRIGGER router_policy_upd AFTER UPDATE ON router_policy BEGIN UPDATE router_config_version SET version = version + 1; END;
      -- How far the core has read the router's retry log into the ops journal.
      CREATE TABLE router_ingest (
        singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
        retries_offset  INTEGER NOT NULL
      );
      INSERT INTO router_ingest (singleton, retries_offset) VALUES (1, 0);
    `,
  },
  {
    version: 7,
    name: 'sync: trusted peers, versioned records, stored files, bundles seen and sent',
    sql: `
      -- A pinned peer: the key it signs with now, and every key it was seen to retire (refused from then on).
      CREATE TABLE trusted_peers (
        site_id      TEXT PRIMARY KEY,
        role         TEXT NOT NULL CHECK (role IN ('site', 'hq')),
        public_key   TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,
        added_at     TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE TABLE peer_retired_keys (
        site_id      TEXT NOT NULL REFERENCES trusted_peers (site_id) ON DELETE CASCADE,
        fingerprint  TEXT NOT NULL,
        retired_at   TEXT NOT NULL,
        PRIMARY KEY (site_id, fingerprint)
      );
      -- The current value of each versioned record (model versions, policy, site reports); higher version wins.
      CREATE TABLE sync_records (
        kind          TEXT NOT NULL,
        key           TEXT NOT NULL,
        version       INTEGER NOT NULL,
        issuer        TEXT NOT NULL,
        value_json    TEXT NOT NULL,
        value_digest  TEXT NOT NULL,
        origin        TEXT NOT NULL CHECK (origin IN ('local', 'imported')),
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      );
      -- Every file in models/ (named by its SHA-256) with its ordered chunk list, so deltas can leave chunks out.
      CREATE TABLE stored_files (
        digest       TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        chunks_json  TEXT NOT NULL,
        stored_at    TEXT NOT NULL
      );
      CREATE TABLE bundles_seen (
        issuer           TEXT NOT NULL,
        sequence         INTEGER NOT NULL,
        manifest_digest  TEXT NOT NULL,
        imported_at      TEXT NOT NULL,
        PRIMARY KEY (issuer, sequence)
      );
      CREATE TABLE bundles_sent (
        sequence         INTEGER PRIMARY KEY,
        recipient        TEXT NOT NULL,
        manifest_digest  TEXT NOT NULL,
        chunks_json      TEXT NOT NULL,
        journal_upto     INTEGER NOT NULL,
        created_at       TEXT NOT NULL,
        acknowledged_at  TEXT
      );
      -- Chunks a peer is known to hold (it sent them, or acknowledged a bundle carrying them).
      CREATE TABLE peer_chunks (
        peer   TEXT NOT NULL,
        chunk  TEXT NOT NULL,
        PRIMARY KEY (peer, chunk)
      ) WITHOUT ROWID;
      ALTER TABLE bundle_exchanges ADD COLUMN sequence INTEGER;
      ALTER TABLE bundle_exchanges ADD COLUMN bytes INTEGER;
      ALTER TABLE bundle_exchanges ADD COLUMN outcome TEXT;
      ALTER TABLE bundle_exchanges ADD COLUMN summary TEXT;
    `,
  },
  {
    version: 8,
    name: 'workers: deployments, their workers and restarts',
    sql: `
      -- One launch of a stored plan. spec_json holds every worker's host, command and ports, so a
      -- supervisor started later (another core process) can check and restart them without the planner.
      CREATE TABLE deployments (
        id             TEXT PRIMARY KEY,
        plan_id        TEXT NOT NULL,
        model          TEXT NOT NULL,
        engine         TEXT NOT NULL CHECK (engine IN ('llama.cpp', 'vllm', 'custom')),
        rpc_transport  TEXT NOT NULL CHECK (rpc_transport IN ('ssh', 'lan')),
        state          TEXT NOT NULL CHECK (state IN ('launching', 'ready', 'degraded', 'stopping', 'stopped', 'failed')),
        api_url        TEXT,
        endpoint       TEXT,
        spec_json      TEXT NOT NULL,
        detail         TEXT,
        tokens_per_s   REAL,
        created_at     TEXT NOT NULL,
        ready_at       TEXT,
        stopped_at     TEXT
      );
      CREATE TABLE deployment_workers (
        deployment_id  TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
        name           TEXT NOT NULL,
        state          TEXT NOT NULL CHECK (state IN ('starting', 'running', 'restarting', 'down', 'stopped')),
        pid            INTEGER,
        restarts       INTEGER NOT NULL DEFAULT 0,
        started_at     TEXT,
        last_error     TEXT,
        PRIMARY KEY (deployment_id, name)
      );
      CREATE TABLE worker_restarts (
        id             INTEGER PRIMARY KEY,
        deployment_id  TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
        worker         TEXT NOT NULL,
        at             TEXT NOT NULL,
        reason         TEXT NOT NULL,
        backoff_ms     INTEGER NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'discovery: how each remote node was logged into, so other capabilities can SSH back',
    sql: `
      -- The login that inventoried the node (user, and the key file when not the site key), kept so
      -- the planner, workers and telemetry reach it without asking again. NULL for nodes scanned before.
      ALTER TABLE nodes ADD COLUMN login_user TEXT;
      ALTER TABLE nodes ADD COLUMN login_key_path TEXT;
    `,
  },
  {
    version: 10,
    name: 'telemetry: series, raw samples, minute rollups, alerts, export cursor, settings',
    sql: `
      -- One line of a chart: what was measured (metric, unit) on what (source: workstation, node, GPU, router, deployment).
      CREATE TABLE telemetry_series (
        id          INTEGER PRIMARY KEY,
        source      TEXT NOT NULL,
        metric      TEXT NOT NULL,
        unit        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        UNIQUE (source, metric)
      );
      -- Raw 1 Hz samples, clustered by series then time so a chart reads one contiguous range.
      CREATE TABLE telemetry_samples (
        series_id  INTEGER NOT NULL,
        ts         INTEGER NOT NULL,
        value      REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) WITHOUT ROWID;
      -- Minute rollups, kept far longer than raw samples; ts is the minute's first second.
      CREATE TABLE telemetry_rollups (
        series_id  INTEGER NOT NULL,
        ts         INTEGER NOT NULL,
        n          INTEGER NOT NULL,
        min        REAL NOT NULL,
        avg        REAL NOT NULL,
        max        REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) WITHOUT ROWID;
      -- Minutes before this one are rolled up (maintenance advances it in bounded steps).
      CREATE TABLE telemetry_rollup_mark (
        singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
        rolled_upto  INTEGER NOT NULL
      );
      INSERT INTO telemetry_rollup_mark (singleton, rolled_upto) VALUES (1, 0);
      CREATE TABLE telemetry_alerts (
        key        TEXT PRIMARY KEY,
        severity   TEXT NOT NULL CHECK (severity IN ('warn', 'critical')),
        source     TEXT NOT NULL,
        message    TEXT NOT NULL,
        raised_at  TEXT NOT NULL,
        cleared_at TEXT
      );
      -- How far (rollup minute) each bundle sent carried telemetry; acknowledged bundles move the cursor.
      CREATE TABLE telemetry_exports (
        sequence  INTEGER PRIMARY KEY,
        upto_ts   INTEGER NOT NULL
      );
      CREATE TABLE telemetry_settings (
        key    TEXT PRIMARY KEY,
        value  REAL NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: 'telemetry: five-minute rollups, so multi-day charts read 5x fewer rows',
    sql: `
      CREATE TABLE telemetry_rollups_5m (
        series_id  INTEGER NOT NULL,
        ts         INTEGER NOT NULL,
        n          INTEGER NOT NULL,
        min        REAL NOT NULL,
        avg        REAL NOT NULL,
        max        REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    name: 'plan vs actual: what each deployment measured, and the planner calibration derived from it',
    sql: `
      -- Owned by workers: a launch's measured memory per stage, tokens/s and TTFT beside the plan's estimates.
      CREATE TABLE deployment_actuals (
        deployment_id  TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
        measured_at    TEXT NOT NULL,
        actuals_json   TEXT NOT NULL
      );
      -- Owned by the planner: factors per (device kind, engine, quantisation); origin 'site' is measured here,
      -- 'hq' came in HQ's calibration release. A plan uses the newer of the two (calibration.ts).
      CREATE TABLE planner_calibration (
        gpu          TEXT NOT NULL,
        engine       TEXT NOT NULL,
        quant        TEXT NOT NULL,
        origin       TEXT NOT NULL CHECK (origin IN ('site', 'hq')),
        record_json  TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (gpu, engine, quant, origin)
      );
    `,
  },
  {
    version: 13,
    name: 'telemetry: alerts can be acknowledged (they stay listed until they clear)',
    sql: `
      ALTER TABLE telemetry_alerts ADD COLUMN acknowledged_at TEXT;
    `,
  },
  {
    version: 14,
    name: 'sync: every model release kept by name and version, so older versions stay plannable and rollback finds them',
    sql: `
      -- Owned by sync: sync_records keeps only the newest release of a model; this keeps each one that arrived.
      CREATE TABLE model_releases (
        name            TEXT NOT NULL,
        label           TEXT NOT NULL,
        record_version  INTEGER NOT NULL,
        issuer          TEXT NOT NULL,
        value_json      TEXT NOT NULL,
        origin          TEXT NOT NULL,
        stored_at       TEXT NOT NULL,
        PRIMARY KEY (name, label)
      );
      INSERT INTO model_releases (name, label, record_version, issuer, value_json, origin, stored_at)
        SELECT json_extract(value_json, '$.name'), json_extract(value_json, '$.label'), version, issuer, value_json, origin, updated_at
        FROM sync_records WHERE kind = 'model';
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
