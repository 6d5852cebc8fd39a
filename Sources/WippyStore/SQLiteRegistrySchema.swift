import GRDB
import WippyCore

/// The tables of a registry history database, and the check that a file holds them in a layout this build
/// understands.
///
/// - `metadata(key, value)`: `schema_version` and `head` (the current version, 0 for none), as text.
/// - `versions(id, parent_id, created_at)`: the version tree (`parent_id` 0 for a root), Unix seconds.
/// - `changesets(version_id, data)`: each version's changes as a ``PayloadArchive`` changeset.
/// - `checkpoints(version_id, data)`: the ``RegistryOverlay`` at some versions (added by this build to
///   older files when it first writes; builds that do not know it ignore it).
enum SQLiteRegistrySchema {
    /// The layout this build writes and reads. A database with another number is refused, not guessed at.
    static let version = 1

    /// Checks an existing database; false when it has no tables yet (a new file).
    ///
    /// - Throws: `Invalid` for a database made by another schema version or missing tables.
    static func check(_ db: Database, path: String) throws -> Bool {
        guard try DurableSQLite.checkSchemaVersion(
            db, metadataTable: "metadata", version: version, name: "registry history \(path)", kind: "registry history")
        else { return false }
        for table in ["versions", "changesets"] where try !db.tableExists(table) {
            throw SQLiteRegistryHistory.damaged(path, "the \(table) table is missing")
        }
        guard try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = 'head'") != nil else {
            throw SQLiteRegistryHistory.damaged(path, "there is no head in the metadata table")
        }
        return true
    }

    static func create(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE versions (
                    id INTEGER PRIMARY KEY NOT NULL,
                    parent_id INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE changesets (
                    version_id INTEGER PRIMARY KEY NOT NULL REFERENCES versions(id),
                    data BLOB NOT NULL
                );
                INSERT INTO metadata (key, value) VALUES ('schema_version', ?), ('head', '0');
                """,
            arguments: [String(version)])
        try upgrade(db)
    }

    /// Adds what this build keeps beyond the first layout (the checkpoints table) when it is missing.
    static func upgrade(_ db: Database) throws {
        guard try !db.tableExists("checkpoints") else { return }
        try db.execute(
            sql: """
                CREATE TABLE checkpoints (
                    version_id INTEGER PRIMARY KEY NOT NULL REFERENCES versions(id),
                    data BLOB NOT NULL
                )
                """)
    }
}
