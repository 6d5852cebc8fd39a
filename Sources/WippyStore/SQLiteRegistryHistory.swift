public import WippyCore
import Foundation
import GRDB

/// Registry history in an embedded SQLite database, so runtime changes survive restarts (§4.5).
///
/// The file (by default `<project>/.wippy/registry.db`) is opened in WAL mode with `synchronous = FULL`: a
/// saved version is on disk when ``save(_:)`` returns. Saving writes the version, its changeset and the new
/// head in one transaction, so a crash at any moment leaves either the old head or the new one, never a
/// version without its changes. Changesets are stored as ``PayloadArchive`` data, which keeps every payload
/// shape exactly.
///
/// Every failure (a file that is not a database, another schema version, a damaged changeset) is an error
/// that names the file.
public final class SQLiteRegistryHistory: RegistryHistory {
    /// The database file.
    public let path: String
    private let queue: DatabaseQueue

    /// `<projectRoot>/.wippy/registry.db`.
    public static func defaultPath(projectRoot: String) -> String {
        (projectRoot.isEmpty ? "." : projectRoot) + "/.wippy/registry.db"
    }

    /// Opens (or creates, with its directory) the history database at `path`.
    ///
    /// - Throws: `Invalid` naming the file when it cannot be created or opened, is not a registry history
    ///   database, or has a schema version this build does not read.
    public init(path: String) throws(WippyError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        } catch {
            throw WippyError.invalid("registry history \(path): cannot create the directory: \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.label = "registry-history"
        // Another process (a second `wippy` on the same project) may hold the write lock for a moment.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Set here rather than through GRDB's WAL option, which lowers `synchronous` to NORMAL.
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw WippyError.invalid("registry history \(path): cannot use WAL mode (got \(mode ?? "none"))") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in try SQLiteRegistrySchema.prepare(db, path: path) }
        } catch let error as WippyError {
            throw error
        } catch {
            throw WippyError.invalid("registry history \(path): cannot open: \(SQLiteRegistryHistory.describe(error))")
        }
    }

    public func load() throws(WippyError) -> (versions: [RegistryVersion], head: UInt64) {
        let path = path
        return try access("cannot read", writing: false) { db in
            let head = try SQLiteRegistryHistory.head(db, path: path)
            var versions: [RegistryVersion] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT versions.id, versions.parent_id, versions.created_at, changesets.data
                    FROM versions LEFT JOIN changesets ON changesets.version_id = versions.id
                    ORDER BY versions.id
                    """)
            while let row = try rows.next() {
                let id: Int64 = row[0]
                guard let data: Data = row[3] else {
                    throw WippyError.invalid("registry history \(path): version v\(id) has no changeset; the database is damaged")
                }
                let changes: [RegistryChange]
                do throws(WippyError) {
                    changes = try RegistryChange.unarchive([UInt8](data))
                } catch {
                    throw WippyError.invalid("registry history \(path): the changeset of version v\(id) is damaged: \(error.message)")
                }
                let parent: Int64 = row[1]
                versions.append(
                    RegistryVersion(id: UInt64(id), parent: UInt64(max(parent, 0)), changes: changes, createdAt: row[2]))
            }
            if head != 0 && !versions.contains(where: { $0.id == head }) {
                throw WippyError.invalid("registry history \(path): the head v\(head) is not a saved version; the database is damaged")
            }
            return (versions, head)
        }
    }

    public func save(_ version: RegistryVersion) throws(WippyError) {
        let data = Data(try RegistryChange.archive(version.changes))
        guard let id = Int64(exactly: version.id), let parent = Int64(exactly: version.parent) else {
            throw WippyError.invalid("registry history \(path): version number v\(version.id) is out of range")
        }
        try access("cannot save v\(version.id)") { db in
            try db.execute(
                sql: "INSERT INTO versions (id, parent_id, created_at) VALUES (?, ?, ?)",
                arguments: [id, parent, version.createdAt])
            try db.execute(sql: "INSERT INTO changesets (version_id, data) VALUES (?, ?)", arguments: [id, data])
            try db.execute(sql: "UPDATE metadata SET value = ? WHERE key = 'head'", arguments: [String(id)])
        }
    }

    public func setHead(_ head: UInt64) throws(WippyError) {
        let path = path
        guard let id = Int64(exactly: head) else { throw WippyError.notFound("registry history \(path): no version v\(head)") }
        try access("cannot move the head to v\(head)") { db in
            if id != 0 {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM versions WHERE id = ?", arguments: [id]) == true else {
                    throw WippyError.notFound("registry history \(path): no version v\(head)")
                }
            }
            try db.execute(sql: "UPDATE metadata SET value = ? WHERE key = 'head'", arguments: [String(id)])
        }
    }

    // MARK: - Support

    /// Runs `body` in one transaction (a write is rolled back if it throws), with database errors named.
    private func access<T>(_ what: String, writing: Bool = true, _ body: (Database) throws -> T) throws(WippyError) -> T {
        do {
            return writing ? try queue.write(body) : try queue.read(body)
        } catch let error as WippyError {
            throw error
        } catch {
            throw WippyError("registry history \(path): \(what): \(SQLiteRegistryHistory.describe(error))", kind: .internal)
        }
    }

    /// The value of a pragma on this history's connection (for tests of the settings).
    func pragma(_ name: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    private static func head(_ db: Database, path: String) throws -> UInt64 {
        let text = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = 'head'")
        guard let text, let head = UInt64(text) else {
            throw WippyError.invalid("registry history \(path): the head '\(text ?? "")' is not a version number; the database is damaged")
        }
        return head
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
