import GRDB
import WippyCore

/// The tables of a workflow store database, and the check that a file holds them in a layout this build
/// understands.
///
/// - `workflow_metadata(key, value)`: `schema_version`, as text.
/// - `workflow_runs(id, workflow_id, run_id, ...)`: one row per run, with the code it is pinned to, its
///   status and result, `last_seq`, the sequence number of its last journal event (what a load checks
///   the journal against, so a journal cut short at its end is seen too), and `wake_at`, its timer row
///   (``WorkflowWake``: NULL when it has work now, Unix milliseconds, or `Int64.max` when it waits for a
///   signal only).
/// - `workflow_journal(run, seq, kind, key, payload, checksum)`: the journals, clustered by run and
///   sequence number so a run's history is one range scan. `run` is the run's `id`; `checksum` is the
///   ``JournalChecksum`` of the event.
/// - `workflow_signals(id, workflow_id, topic, sender, payload, created_at)`: pending signals; a row is
///   deleted by the write that journals its delivery (the journal is then its record).
enum SQLiteWorkflowSchema {
    /// The layout this build writes and reads. A database with another number is refused, not guessed at;
    /// version 1 (no timers, no signals) is brought up to date when opened.
    static let version = 2

    enum State {
        case new
        case current
        /// Of an older version this build migrates.
        case old(Int)
    }

    /// Checks an existing database.
    ///
    /// - Throws: `Invalid` for a database of another kind or schema version, or with missing tables.
    static func check(_ db: Database, path: String) throws -> State {
        if try db.tableExists("workflow_metadata"),
            try String.fetchOne(db, sql: "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "1"
        {
            try checkTables(db, path: path, ["workflow_runs", "workflow_journal"])
            return .old(1)
        }
        guard try DurableSQLite.checkSchemaVersion(
            db, metadataTable: "workflow_metadata", version: version, name: "workflow store \(path)", kind: "workflow store")
        else { return .new }
        try checkTables(db, path: path, ["workflow_runs", "workflow_journal", "workflow_signals"])
        return .current
    }

    private static func checkTables(_ db: Database, path: String, _ tables: [String]) throws {
        for table in tables where try !db.tableExists(table) {
            throw SQLiteWorkflowStore.damaged(path, "the \(table) table is missing")
        }
    }

    static func create(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE workflow_metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE workflow_runs (
                    id INTEGER PRIMARY KEY NOT NULL,
                    workflow_id TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    entry TEXT NOT NULL,
                    entry_kind TEXT NOT NULL,
                    registry_version INTEGER NOT NULL,
                    input BLOB NOT NULL,
                    status TEXT NOT NULL,
                    result BLOB,
                    last_seq INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    wake_at INTEGER,
                    UNIQUE (workflow_id, run_id)
                );
                CREATE INDEX workflow_runs_status ON workflow_runs (status);
                CREATE TABLE workflow_journal (
                    run INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    checksum INTEGER NOT NULL,
                    PRIMARY KEY (run, seq)
                ) WITHOUT ROWID;
                INSERT INTO workflow_metadata (key, value) VALUES ('schema_version', '1');
                """)
        try migrate(db, from: 1)
    }

    /// Brings a database of schema version `from` to ``version``, in the caller's transaction.
    static func migrate(_ db: Database, from: Int) throws {
        if from < 2 {
            if try !db.columns(in: "workflow_runs").contains(where: { $0.name == "wake_at" }) {
                try db.execute(sql: "ALTER TABLE workflow_runs ADD COLUMN wake_at INTEGER")
            }
            try db.execute(
                sql: """
                    CREATE INDEX workflow_runs_wake ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL;
                    CREATE TABLE workflow_signals (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        workflow_id TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        sender TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX workflow_signals_workflow ON workflow_signals (workflow_id, id);
                    """)
        }
        try db.execute(sql: "UPDATE workflow_metadata SET value = ? WHERE key = 'schema_version'", arguments: [String(version)])
    }
}
