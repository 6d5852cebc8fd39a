import GRDB
import WippyCore

/// The tables of a registry history database, and the check that a file holds them in a layout this build
/// understands.
///
/// - `metadata(key, value)`: `schema_version` and `head` (the current version, 0 for none), as text.
/// - `versions(id, parent_id, created_at)`: the version tree (`parent_id` 0 for a root), Unix seconds.
/// - `changesets(version_id, data)`: each version's changes as a ``PayloadArchive`` changeset.
enum SQLiteRegistrySchema {
    /// The layout this build writes and reads. A database with another number is refused, not guessed at.
    static let version = 1

    /// Creates the tables in a new database, or checks an existing one.
    ///
    /// - Throws: `Invalid` for a database made by another schema version or missing tables.
    static func prepare(_ db: Database, path: String) throws {
        guard try db.tableExists("metadata") else {
            try create(db)
            return
        }
        let stored = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = 'schema_version'")
        guard let stored else {
            throw WippyError.invalid("registry history \(path): no schema version in the metadata table; not a registry history database")
        }
        guard stored == String(version) else {
            throw WippyError.invalid(
                "registry history \(path): schema version \(stored) is not supported (this build reads version \(version))")
        }
        for table in ["versions", "changesets"] where try !db.tableExists(table) {
            throw WippyError.invalid("registry history \(path): the \(table) table is missing; the database is damaged")
        }
        guard try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = 'head'") != nil else {
            throw WippyError.invalid("registry history \(path): no head in the metadata table; the database is damaged")
        }
    }

    private static func create(_ db: Database) throws {
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
    }
}
