import GRDB
import WippyCore

/// The tables of a workflow store database, and the check that a file holds them in a layout this build
/// understands.
///
/// - `workflow_metadata(key, value)`: `schema_version`, as text.
/// - `workflow_runs(id, workflow_id, run_id, ...)`: one row per run, with the code it is pinned to, its
///   status and result, and `last_seq`, the sequence number of its last journal event (what a load checks
///   the journal against, so a journal cut short at its end is seen too).
/// - `workflow_journal(run, seq, kind, key, payload, checksum)`: the journals, clustered by run and
///   sequence number so a run's history is one range scan. `run` is the run's `id`; `checksum` is the
///   ``JournalChecksum`` of the event.
enum SQLiteWorkflowSchema {
    /// The layout this build writes and reads. A database with another number is refused, not guessed at.
    static let version = 1

    /// Checks an existing database; false when it has no tables yet (a new file).
    ///
    /// - Throws: `Invalid` for a database of another kind or schema version, or with missing tables.
    static func check(_ db: Database, path: String) throws -> Bool {
        guard try DurableSQLite.checkSchemaVersion(
            db, metadataTable: "workflow_metadata", version: version, name: "workflow store \(path)", kind: "workflow store")
        else { return false }
        for table in ["workflow_runs", "workflow_journal"] where try !db.tableExists(table) {
            throw SQLiteWorkflowStore.damaged(path, "the \(table) table is missing")
        }
        return true
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
                INSERT INTO workflow_metadata (key, value) VALUES ('schema_version', ?);
                """,
            arguments: [String(version)])
    }
}
