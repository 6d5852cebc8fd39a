import WippyCore
import WippyResources

/// Opens the live database of a `db.sql.*` entry (what `sql.get` acquires): SQLite through GRDB,
/// PostgreSQL through a pool of postgres-nio connections with the entry's `pool` limits.
enum SQLDatabaseOpener {
    /// - Throws: `Unavailable` (or `PermissionDenied`) naming the entry and the driver's reason.
    static func open(_ id: EntryID, _ config: DatabaseConfig) throws(WippyError) -> any Resource {
        switch config {
        case .sqlite(let sqlite):
            return try SQLiteSQLDatabase(path: sqlite.path, name: id.description, maxLifetime: sqlite.maxLifetime)
        case .postgres(let postgres):
            return try PostgresSQLDatabase(
                settings: postgres.connectionSettings, name: id.description, maxOpen: postgres.pool.maxOpen,
                maxIdle: postgres.pool.maxIdle, maxLifetime: postgres.pool.maxLifetime)
        }
    }
}
