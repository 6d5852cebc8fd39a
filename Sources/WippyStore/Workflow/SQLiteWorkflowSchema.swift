import GRDB
import WippyCore

/// The tables of a workflow store database, and the check that a file holds them in a layout this build
/// understands.
///
/// - `workflow_metadata(key, value)`: `schema_version`, as text.
/// - `workflow_runs(id, workflow_id, run_id, ...)`: one row per run, with the code it is pinned to, its
///   status and result, and `wake_at`, its timer row (``WorkflowWake``: NULL when it has work now, Unix
///   milliseconds, or `Int64.max` when it waits for a signal only).
/// - `workflow_progress(run, last_seq, updated_at, history_size)`: what every step of a run changes:
///   `last_seq`, the sequence number of its last journal event (what a load checks the journal against,
///   so a journal cut short at its end is seen too), when it was last written, and `history_size`, the
///   bytes of its journal (``JournalEvent/byteSize`` summed). A narrow table of its own (version 4): a
///   step then changes a row among hundreds per page, not the run's wide row with its pinned code.
/// - `workflow_journal(id, run, seq, kind, key, payload, checksum, time)`: the journals, in the order they
///   were written, with a unique index on `(run, seq)` through which a run's history is read. `run` is the
///   run's `id`; `checksum` is the ``JournalChecksum`` of the event; `time` is when it was written (Unix
///   milliseconds). Appended in write order rather than clustered by run: a commit of many runs' steps then
///   changes a few table pages at the end plus the small index pages, instead of one table page per run
///   (with a thousand runs in flight, clustering wrote about 13 KB of pages to the write-ahead log per step).
/// - `workflow_signals(id, workflow_id, topic, sender, payload, created_at)`: pending signals; a row is
///   deleted by the write that journals its delivery (the journal is then its record).
///
/// Versions: 1 had no `history_size` and no `time`; 2 added them; 3 added `wake_at` and `workflow_signals`;
/// 4 stores the journal in write order (3 clustered it by run) and moves the progress columns of
/// `workflow_runs` to `workflow_progress`. A version 1, 2 or 3 file is migrated when a store opens it for writing (old events keep a NULL time); a
/// read-only reader reads it as it is (it reads neither timers nor signals).
enum SQLiteWorkflowSchema {
    /// The layout this build writes.
    static let version = 4

    /// What a file holds.
    enum Layout: Equatable {
        /// No tables yet (a new file).
        case empty
        /// Version 1: readable, migrated before writing.
        case version1
        /// Version 2 (times and history sizes, no timers or signals): readable, migrated before writing.
        case version2
        /// Version 3 (the journal clustered by run): readable, migrated before writing.
        case version3
        case current

        /// Whether the journal has a `time` column and runs a `history_size`.
        var hasTimes: Bool { self != .version1 && self != .empty }

        /// Where the runs' rows are read from, with their progress columns (`last_seq`, `updated_at`,
        /// `history_size`): joined from `workflow_progress` since version 4.
        var runsWithProgress: String {
            switch self {
            case .current, .empty: "workflow_runs JOIN workflow_progress ON workflow_progress.run = workflow_runs.id"
            default: "workflow_runs"
            }
        }
    }

    /// Checks an existing database.
    ///
    /// - Throws: `Invalid` for a database of another kind or schema version, or with missing tables.
    static func check(_ db: Database, path: String) throws -> Layout {
        if try db.tableExists("workflow_metadata") {
            switch try String.fetchOne(db, sql: "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") {
            case "1":
                try checkTables(db, path: path, ["workflow_runs", "workflow_journal"])
                return .version1
            case "2":
                try checkTables(db, path: path, ["workflow_runs", "workflow_journal"])
                return .version2
            case "3":
                try checkTables(db, path: path, ["workflow_runs", "workflow_journal", "workflow_signals"])
                return .version3
            default: break
            }
        }
        guard try DurableSQLite.checkSchemaVersion(
            db, metadataTable: "workflow_metadata", version: version, name: "workflow store \(path)", kind: "workflow store")
        else { return .empty }
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
                    created_at INTEGER NOT NULL,
                    wake_at INTEGER,
                    UNIQUE (workflow_id, run_id)
                );
                CREATE INDEX workflow_runs_status ON workflow_runs (status);
                \(progressTable)
                \(journalTable)
                \(timersAndSignals)
                INSERT INTO workflow_metadata (key, value) VALUES ('schema_version', ?);
                """,
            arguments: [String(version)])
    }

    /// Brings a version 1 file to the current layout, in the caller's transaction: adds the columns,
    /// computes every run's history size from its journal, then does what ``migrateFromVersion2(_:)`` does.
    static func migrateFromVersion1(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE workflow_runs ADD COLUMN history_size INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE workflow_journal ADD COLUMN time INTEGER;
                UPDATE workflow_runs SET history_size = \(historySizeExpression);
                """)
        try migrateFromVersion2(db)
    }

    /// Brings a version 2 file to the current layout, in the caller's transaction: adds the timer column
    /// (NULL: every run in flight has work now, so a host looks at it once) and the signal table, then does
    /// what ``migrateFromVersion3(_:)`` does.
    static func migrateFromVersion2(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE workflow_runs ADD COLUMN wake_at INTEGER;
                \(timersAndSignals)
                """)
        try migrateFromVersion3(db)
    }

    /// Brings a version 3 file to the current layout, in the caller's transaction: the journal, clustered
    /// by run there, is copied into a table in write order (run by run, in sequence), and the progress
    /// columns move from `workflow_runs` to `workflow_progress`.
    static func migrateFromVersion3(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE workflow_journal RENAME TO workflow_journal_v3;
                \(journalTable)
                INSERT INTO workflow_journal (run, seq, kind, key, payload, checksum, time)
                    SELECT run, seq, kind, key, payload, checksum, time FROM workflow_journal_v3 ORDER BY run, seq;
                DROP TABLE workflow_journal_v3;
                \(progressTable)
                INSERT INTO workflow_progress (run, last_seq, updated_at, history_size)
                    SELECT id, last_seq, updated_at, history_size FROM workflow_runs;
                ALTER TABLE workflow_runs DROP COLUMN last_seq;
                ALTER TABLE workflow_runs DROP COLUMN updated_at;
                ALTER TABLE workflow_runs DROP COLUMN history_size;
                UPDATE workflow_metadata SET value = ? WHERE key = 'schema_version';
                """,
            arguments: [String(version)])
    }

    /// The progress of each run (version 4).
    private static let progressTable = """
        CREATE TABLE workflow_progress (
            run INTEGER PRIMARY KEY,
            last_seq INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            history_size INTEGER NOT NULL DEFAULT 0
        );
        """

    /// The journal of version 4: rows in write order, found by run and sequence number through the index.
    private static let journalTable = """
        CREATE TABLE workflow_journal (
            id INTEGER PRIMARY KEY,
            run INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            payload BLOB NOT NULL,
            checksum INTEGER NOT NULL,
            time INTEGER
        );
        CREATE UNIQUE INDEX workflow_journal_run_seq ON workflow_journal (run, seq);
        """

    /// What version 3 added: the index of the timer rows and the table of pending signals.
    private static let timersAndSignals = """
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
        """

    /// The history size of the `workflow_runs` row in scope, computed from its journal (version 1 files).
    static let historySizeExpression = """
        (SELECT coalesce(sum(length(CAST(kind AS BLOB)) + length(CAST(key AS BLOB)) + length(payload)), 0) \
        FROM workflow_journal WHERE run = workflow_runs.id)
        """
}
