import GRDB
import WippyCore

/// The GRDB settings of the stores that must not lose an acknowledged write (registry history, workflow
/// journals): a write-ahead log with `synchronous = FULL`, and a 5 s busy timeout for a write lock another
/// connection (a reader, a second `wippy` on the file) holds for a moment.
enum DurableSQLite {
    /// - Parameters:
    ///   - label: GRDB's label for the connection.
    ///   - name: how errors name the file (`registry history <path>`).
    ///   - pragmas: more statements for each new connection, run after the durability settings.
    static func configuration(label: String, name: String, pragmas: [String] = []) -> Configuration {
        SQLiteTuning.apply()
        var configuration = Configuration()
        configuration.label = label
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Set here rather than through GRDB's WAL option, which lowers `synchronous` to NORMAL.
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw WippyError.invalid("\(name): cannot use WAL mode (got \(mode ?? "none"))") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            for pragma in pragmas { try db.execute(sql: pragma) }
        }
        return configuration
    }

    /// The check both stores begin with: false for a new file (no tables at all); throws for a file of
    /// another kind (no `metadataTable`, or no schema version in it) or of another schema version.
    ///
    /// - Parameters:
    ///   - name: how errors name the file (`registry history <path>`).
    ///   - kind: what such a database is called in errors (`registry history`).
    static func checkSchemaVersion(
        _ db: Database, metadataTable: String, version: Int, name: String, kind: String
    ) throws -> Bool {
        guard try db.tableExists(metadataTable) else {
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            guard tables == 0 else { throw WippyError.invalid("\(name): no \(metadataTable) table; not a \(kind) database") }
            return false
        }
        let stored = try String.fetchOne(db, sql: "SELECT value FROM \(metadataTable) WHERE key = 'schema_version'")
        guard let stored else {
            throw WippyError.invalid("\(name): no schema version in the metadata table; not a \(kind) database")
        }
        guard stored == String(version) else {
            throw WippyError.invalid("\(name): schema version \(stored) is not supported (this build reads version \(version))")
        }
        return true
    }
}
