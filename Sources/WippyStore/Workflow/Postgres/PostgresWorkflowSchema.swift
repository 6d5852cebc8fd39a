import Logging
import PostgresNIO
import WippyCore

/// The tables of the PostgreSQL workflow store, in the schema the connection's `search_path` names first
/// (the `search_path` option of the `db.sql.postgres` entry; `public` by default). The same columns as the
/// SQLite store's, plus the lease of each run:
///
/// - `wippy_workflow_metadata(key, value)`: `schema_version`.
/// - `wippy_workflow_runs`: one row per run: its record (with `host`, the workflow host that runs it), `last_seq`, `owner` (the node holding it, NULL for
///   none), `generation` (raised by every claim; the fence of writes), `lease_until` (timed by the server's
///   `now()`), and `wake_at` (its timer row, Unix milliseconds; NULL when it has work now, `Int64.max` when it
///   waits for a signal only).
/// - `wippy_workflow_journal(run, seq, kind, key, payload, checksum, time)`: the journals, keyed by run and
///   seq; `time` is when the event was written (Unix milliseconds), as in the SQLite store.
/// - `wippy_workflow_signals(id, workflow_id, topic, sender, payload, created_at)`: pending signals.
///
/// Nodes that start together create the tables once: the set-up runs under a transaction-scoped advisory
/// lock.
enum PostgresWorkflowSchema {
    static let version = 3
    /// The advisory lock key of the set-up ("wippy-wf" in ASCII).
    static let lockKey: Int64 = 0x7769_7070_792d_7766

    static let nonFinal = "('running', 'blocked', 'paused')"

    static let statements = [
        "CREATE TABLE wippy_workflow_metadata (key text PRIMARY KEY, value text NOT NULL)",
        """
        CREATE TABLE wippy_workflow_runs (
            id bigserial PRIMARY KEY,
            workflow_id text NOT NULL,
            run_id text NOT NULL,
            entry text NOT NULL,
            entry_kind text NOT NULL,
            registry_version bigint NOT NULL,
            input bytea NOT NULL,
            status text NOT NULL,
            result bytea,
            last_seq bigint NOT NULL,
            owner text,
            generation bigint NOT NULL DEFAULT 0,
            lease_until timestamptz,
            wake_at bigint,
            host text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (workflow_id, run_id)
        )
        """,
        "CREATE INDEX wippy_workflow_runs_status ON wippy_workflow_runs (status, id)",
        "CREATE INDEX wippy_workflow_runs_claimable ON wippy_workflow_runs (id) WHERE status IN \(nonFinal)",
        "CREATE INDEX wippy_workflow_runs_wake ON wippy_workflow_runs (wake_at) WHERE wake_at IS NOT NULL",
        openRunIndex,
        """
        CREATE TABLE wippy_workflow_journal (
            run bigint NOT NULL,
            seq bigint NOT NULL,
            kind text NOT NULL,
            key text NOT NULL,
            payload bytea NOT NULL,
            checksum bigint NOT NULL,
            time bigint,
            PRIMARY KEY (run, seq)
        )
        """,
        """
        CREATE TABLE wippy_workflow_signals (
            id bigserial PRIMARY KEY,
            workflow_id text NOT NULL,
            topic text NOT NULL,
            sender text NOT NULL,
            payload bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX wippy_workflow_signals_workflow ON wippy_workflow_signals (workflow_id, id)",
        "INSERT INTO wippy_workflow_metadata (key, value) VALUES ('schema_version', '\(version)')",
    ]

    /// At most one run of a workflow ID is not final: two nodes that start the same chosen ID at once cannot
    /// both create a run (the second insert finds the first and joins it). Version 3.
    static let openRunIndex =
        "CREATE UNIQUE INDEX wippy_workflow_runs_one_open ON wippy_workflow_runs (workflow_id) WHERE status IN \(nonFinal)"

    /// From version 1 to 2.
    static let migration1 = [
        "ALTER TABLE wippy_workflow_runs ADD COLUMN host text NOT NULL DEFAULT ''",
        "UPDATE wippy_workflow_metadata SET value = '2' WHERE key = 'schema_version'",
    ]

    /// From version 2 to 3. A store of version 2 may hold several open runs of one workflow ID (two nodes
    /// that started the same chosen ID at once each created one): the oldest stays open, as a later start
    /// now joins it, and the others end as `terminated` (fenced: their owners' next writes are refused), so
    /// the unique index can be built.
    static let migration2 = [
        """
        UPDATE wippy_workflow_runs
        SET status = 'terminated', owner = NULL, lease_until = NULL, wake_at = NULL,
            generation = generation + 1, updated_at = now()
        WHERE status IN \(nonFinal)
          AND id NOT IN (SELECT min(id) FROM wippy_workflow_runs WHERE status IN \(nonFinal) GROUP BY workflow_id)
        """,
        openRunIndex,
        "UPDATE wippy_workflow_metadata SET value = '3' WHERE key = 'schema_version'",
    ]

    /// Creates the tables when the schema has none, checks their version otherwise; returns the schema's
    /// name (`current_schema()`).
    ///
    /// - Throws: `Invalid` for tables of another schema version or with some missing.
    static func prepare(_ connection: PostgresConnection, name: String, logger: Logger) async throws -> String {
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            var schema = ""
            var hasMetadata = false
            for try await (current, metadata) in try await connection.query(
                "SELECT current_schema(), to_regclass('wippy_workflow_metadata') IS NOT NULL", logger: logger
            ).decode((String?, Bool).self) {
                guard let current else {
                    throw WippyError.invalid("\(name): no schema to create the tables in (check the search_path option)")
                }
                schema = current
                hasMetadata = metadata
            }
            if hasMetadata {
                var stored: String?
                for try await (value) in try await connection.query(
                    "SELECT value FROM wippy_workflow_metadata WHERE key = 'schema_version'", logger: logger
                ).decode(String.self) {
                    stored = value
                }
                guard var stored else {
                    throw WippyError.invalid("\(name): no schema version in wippy_workflow_metadata; not a workflow store")
                }
                if stored == "1" {
                    // Version 2 added the host of each run (claims take a host's runs only).
                    for statement in migration1 { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    stored = "2"
                }
                if stored == "2" {
                    // Version 3 allows one open run per workflow ID.
                    for statement in migration2 { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    stored = String(version)
                }
                guard stored == String(version) else {
                    throw WippyError.invalid("\(name): schema version \(stored) is not supported (this build reads version \(version))")
                }
                for table in ["wippy_workflow_runs", "wippy_workflow_journal", "wippy_workflow_signals"] {
                    for try await exists in try await connection.query(
                        "SELECT to_regclass(\(table)) IS NOT NULL", logger: logger
                    ).decode(Bool.self) where !exists {
                        throw WippyError.invalid("\(name) is damaged: the \(table) table is missing")
                    }
                }
            } else {
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            }
            try await connection.query("COMMIT", logger: logger)
            return schema
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
