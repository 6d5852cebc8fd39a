public import WippyCore
import Foundation
import GRDB

/// Registry history in an embedded SQLite database, so runtime changes survive restarts (§4.5).
///
/// The file (by default `<project>/.wippy/registry.db`) is opened in WAL mode with `synchronous = FULL`: a
/// saved version is on disk when ``save(_:checkpoint:)`` returns. Saving writes the version, its changeset
/// and the new head in one transaction, so a crash at any moment leaves either the old head or the new one,
/// never a version without its changes. Changesets are stored as ``PayloadArchive`` data, which keeps every
/// payload shape exactly.
///
/// Checkpoints (table `checkpoints`, the ``RegistryOverlay`` at a version) spare a boot the replay of every
/// version: it starts from the newest one on the head's path. They are derived data; the changesets stay.
///
/// Every failure is an error that names the file. A file that is empty, truncated or logically damaged
/// (a missing version, a parent cycle, a head that points nowhere) is refused with what is wrong and how to
/// start over (``resetHint``), never read as a shorter history.
public final class SQLiteRegistryHistory: RegistryHistory {
    /// The database file.
    public let path: String
    private let queue: DatabaseQueue
    /// Checkpoints kept (the newest ones).
    static let keptCheckpoints = 4

    /// What to do about a damaged history.
    public static let resetHint =
        "`wippy registry reset` discards the recorded runtime changes and starts a new history (the damaged file is kept aside; definition files are not touched)"

    /// `<projectRoot>/.wippy/registry.db`.
    public static func defaultPath(projectRoot: String) -> String {
        (projectRoot.isEmpty ? "." : projectRoot) + "/.wippy/registry.db"
    }

    /// Opens (or creates, with its directory) the history database at `path`.
    ///
    /// - Parameter create: false for readers: a missing file is then an error, and nothing is written.
    /// - Throws: `Invalid` naming the file when it cannot be created or opened, is not a registry history
    ///   database, has a schema version this build does not read, or is damaged.
    public init(path: String, create: Bool = true) throws(WippyError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if create {
            do {
                if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            } catch {
                throw WippyError.invalid("registry history \(path): cannot create the directory: \(error.localizedDescription)")
            }
        }
        let file = SQLiteFileCheck(path: path)
        if !create && SQLiteFileCheck.size(of: path) == nil {
            throw WippyError.notFound("registry history \(path): no such file")
        }
        if let problem = file.emptyFileProblem() ?? file.truncationProblem() { throw SQLiteRegistryHistory.damaged(path, problem) }
        let configuration = DurableSQLite.configuration(label: "registry-history", name: "registry history \(path)")
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let existing = try queue.read { db in try SQLiteRegistrySchema.check(db, path: path) }
            if !existing {
                guard create else { throw WippyError.invalid("registry history \(path): no registry history in this file") }
                try queue.write { db in try SQLiteRegistrySchema.create(db) }
            } else if create {
                try queue.write { db in try SQLiteRegistrySchema.upgrade(db) }
            }
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteRegistryHistory.failure(path, "cannot open", error)
        }
        if create {
            // Pages still in the write-ahead log are moved into the file before its size is checked.
            _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        if let problem = file.truncationProblem() { throw SQLiteRegistryHistory.damaged(path, problem) }
    }

    public func index() throws(WippyError) -> RegistryHistoryIndex {
        let path = path
        let index = try access("cannot read", writing: false) { db in
            let head = try SQLiteRegistryHistory.head(db, path: path)
            var versions: [RegistryVersionInfo] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, parent_id, created_at FROM versions ORDER BY id")
            while let row = try rows.next() {
                let id: Int64 = row[0]
                let parent: Int64 = row[1]
                guard id > 0, parent >= 0 else {
                    throw SQLiteRegistryHistory.damaged(path, "version \(id) has parent \(parent), which is not a version number")
                }
                versions.append(RegistryVersionInfo(id: UInt64(id), parent: UInt64(parent), createdAt: row[2]))
            }
            // Every version has its changeset and every changeset its version: both lists in order, side by side.
            let changesets = try Int64.fetchCursor(db, sql: "SELECT version_id FROM changesets ORDER BY version_id")
            var next = 0
            while let id = try changesets.next() {
                if next < versions.count && versions[next].id == UInt64(clamping: id) {
                    next += 1
                } else if next < versions.count && versions[next].id < UInt64(clamping: id) {
                    throw SQLiteRegistryHistory.damaged(path, "version v\(versions[next].id) has no changeset")
                } else {
                    throw SQLiteRegistryHistory.damaged(path, "the version row of v\(id) is missing (its changeset is there)")
                }
            }
            if next < versions.count { throw SQLiteRegistryHistory.damaged(path, "version v\(versions[next].id) has no changeset") }
            var checkpoints: Set<UInt64> = []
            if try db.tableExists("checkpoints") {
                for id in try Int64.fetchAll(db, sql: "SELECT version_id FROM checkpoints") where id > 0 {
                    checkpoints.insert(UInt64(id))
                }
            }
            return RegistryHistoryIndex(versions: versions, head: head, checkpoints: checkpoints)
        }
        if let damage = index.damage() { throw SQLiteRegistryHistory.damaged(path, damage) }
        return index
    }

    public func changes(of versions: [UInt64]) throws(WippyError) -> [[RegistryChange]] {
        guard !versions.isEmpty else { return [] }
        let path = path
        return try access("cannot read", writing: false) { db in
            func decode(_ data: Data, _ id: UInt64) throws(WippyError) -> [RegistryChange] {
                do throws(WippyError) {
                    return try RegistryChange.unarchive([UInt8](data))
                } catch {
                    throw SQLiteRegistryHistory.damaged(path, "the changeset of version v\(id) is damaged: \(error.message)")
                }
            }
            var result: [[RegistryChange]?] = Array(repeating: nil, count: versions.count)
            if versions.count > 256 {
                // Many versions (a first boot without a checkpoint): one pass over the table beats a lookup each.
                var wanted: [UInt64: [Int]] = [:]
                for (position, id) in versions.enumerated() { wanted[id, default: []].append(position) }
                let rows = try Row.fetchCursor(db, sql: "SELECT version_id, data FROM changesets ORDER BY version_id")
                while let row = try rows.next() {
                    let id = UInt64(clamping: row[0] as Int64)
                    guard let positions = wanted[id] else { continue }
                    let changes = try decode(row[1], id)
                    for position in positions { result[position] = changes }
                }
            } else {
                let statement = try db.cachedStatement(sql: "SELECT data FROM changesets WHERE version_id = ?")
                for (position, id) in versions.enumerated() {
                    guard let data = try Data.fetchOne(statement, arguments: [Int64(clamping: id)]) else { continue }
                    result[position] = try decode(data, id)
                }
            }
            return try zip(versions, result).map { id, changes in
                guard let changes else { throw SQLiteRegistryHistory.damaged(path, "version v\(id) has no changeset") }
                return changes
            }
        }
    }

    public func save(_ version: RegistryVersion, checkpoint: RegistryOverlay?) throws(WippyError) {
        let data = Data(try RegistryChange.archive(version.changes))
        let snapshot = try checkpoint.map { overlay throws(WippyError) in Data(try overlay.archive()) }
        guard let id = Int64(exactly: version.id), let parent = Int64(exactly: version.parent) else {
            throw WippyError.invalid("registry history \(path): version number v\(version.id) is out of range")
        }
        let path = path
        try access("cannot save v\(version.id)") { db in
            // The check and the write are one IMMEDIATE transaction: no other writer comes in between.
            let head = try SQLiteRegistryHistory.head(db, path: path)
            let taken = try Bool.fetchOne(db, sql: "SELECT 1 FROM versions WHERE id = ?", arguments: [id]) == true
            guard head == version.parent, !taken else {
                throw WippyError(
                    "registry history \(path): v\(version.id) was not saved: another wippy process changed the history "
                        + "since this one read it (its head is now v\(head)); restart to continue from there",
                    kind: .conflict, retryable: false)
            }
            try db.execute(
                sql: "INSERT INTO versions (id, parent_id, created_at) VALUES (?, ?, ?)",
                arguments: [id, parent, version.createdAt])
            try db.execute(sql: "INSERT INTO changesets (version_id, data) VALUES (?, ?)", arguments: [id, data])
            try db.execute(sql: "UPDATE metadata SET value = ? WHERE key = 'head'", arguments: [String(id)])
            if let snapshot { try SQLiteRegistryHistory.storeCheckpoint(db, version: id, data: snapshot) }
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

    public func checkpoint(at version: UInt64) -> RegistryOverlay? {
        guard let id = Int64(exactly: version),
            let data = try? queue.read({ db -> Data? in
                guard try db.tableExists("checkpoints") else { return nil }
                return try Data.fetchOne(db, sql: "SELECT data FROM checkpoints WHERE version_id = ?", arguments: [id])
            })
        else { return nil }
        guard let overlay = try? RegistryOverlay.unarchive([UInt8](data)), overlay.version == version else { return nil }
        return overlay
    }

    public func saveCheckpoint(_ overlay: RegistryOverlay) throws(WippyError) {
        let data = Data(try overlay.archive())
        guard let id = Int64(exactly: overlay.version), id > 0 else { return }
        try access("cannot save a checkpoint at v\(overlay.version)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM versions WHERE id = ?", arguments: [id]) == true else { return }
            try SQLiteRegistryHistory.storeCheckpoint(db, version: id, data: data)
        }
    }

    // MARK: - Discarding

    /// What ``discard(_:)`` removed.
    public struct Discarded: Sendable, Equatable {
        /// Versions removed (everything) or whose changeset lost changes (one entry).
        public var versions: Int
        /// Changes removed.
        public var changes: Int
    }

    /// Discards recorded runtime changes: of entry `id` only (its changes are taken out of every version, so
    /// boot and reload use its definition file again), or of every entry (the history starts over at v0).
    public func discard(_ id: EntryID?) throws(WippyError) -> Discarded {
        let path = path
        return try access("cannot discard the recorded changes") { db in
            guard let id else {
                let versions = try Int.fetchOne(db, sql: "SELECT count(*) FROM versions") ?? 0
                var changes = 0
                let rows = try Data.fetchCursor(db, sql: "SELECT data FROM changesets")
                while let data = try rows.next() { changes += (try? RegistryChange.unarchive([UInt8](data)).count) ?? 0 }
                if try db.tableExists("checkpoints") { try db.execute(sql: "DELETE FROM checkpoints") }
                try db.execute(sql: "DELETE FROM changesets; DELETE FROM versions; UPDATE metadata SET value = '0' WHERE key = 'head'")
                return Discarded(versions: versions, changes: changes)
            }
            var result = Discarded(versions: 0, changes: 0)
            var rewritten: [(Int64, Data)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT version_id, data FROM changesets ORDER BY version_id")
            while let row = try rows.next() {
                let version: Int64 = row[0]
                let data: Data = row[1]
                let changes: [RegistryChange]
                do throws(WippyError) {
                    changes = try RegistryChange.unarchive([UInt8](data))
                } catch {
                    throw SQLiteRegistryHistory.damaged(path, "the changeset of version v\(version) is damaged: \(error.message)")
                }
                let kept = changes.filter { $0.id != id }
                guard kept.count != changes.count else { continue }
                result.versions += 1
                result.changes += changes.count - kept.count
                rewritten.append((version, Data(try RegistryChange.archive(kept))))
            }
            for (version, data) in rewritten {
                try db.execute(sql: "UPDATE changesets SET data = ? WHERE version_id = ?", arguments: [data, version])
            }
            if try db.tableExists("checkpoints") {
                for row in try Row.fetchAll(db, sql: "SELECT version_id, data FROM checkpoints") {
                    let version: Int64 = row[0]
                    let data: Data = row[1]
                    if let overlay = try? RegistryOverlay.unarchive([UInt8](data)) {
                        let data = Data(try overlay.removing(id).archive())
                        try db.execute(sql: "UPDATE checkpoints SET data = ? WHERE version_id = ?", arguments: [data, version])
                    } else {
                        try db.execute(sql: "DELETE FROM checkpoints WHERE version_id = ?", arguments: [version])
                    }
                }
            }
            return result
        }
    }

    /// Moves a history file that cannot be opened out of the way (with its WAL and shared-memory files):
    /// `registry.db` becomes `registry.db.damaged-<unix time>`. Returns the new path, or nil when there was
    /// no file.
    public static func moveAside(path: String) throws(WippyError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var target = path + ".damaged-\(Int(Date().timeIntervalSince1970))"
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = path + ".damaged-\(Int(Date().timeIntervalSince1970))-\(attempt)"
        }
        do {
            try FileManager.default.moveItem(atPath: path, toPath: target)
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.moveItem(atPath: path + suffix, toPath: target + suffix)
            }
        } catch {
            throw WippyError.invalid("registry history \(path): cannot move it aside: \(error.localizedDescription)")
        }
        return target
    }

    // MARK: - Support

    /// Runs `body` in one transaction (a write is rolled back if it throws), with database errors named.
    private func access<T>(_ what: String, writing: Bool = true, _ body: (Database) throws -> T) throws(WippyError) -> T {
        do {
            return writing ? try queue.write(body) : try queue.read(body)
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteRegistryHistory.failure(path, what, error)
        }
    }

    /// The value of a pragma on this history's connection (for tests of the settings).
    func pragma(_ name: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    private static func storeCheckpoint(_ db: Database, version: Int64, data: Data) throws {
        try SQLiteRegistrySchema.upgrade(db)
        try db.execute(sql: "INSERT OR REPLACE INTO checkpoints (version_id, data) VALUES (?, ?)", arguments: [version, data])
        try db.execute(
            sql: "DELETE FROM checkpoints WHERE version_id NOT IN (SELECT version_id FROM checkpoints ORDER BY version_id DESC LIMIT ?)",
            arguments: [keptCheckpoints])
    }

    private static func head(_ db: Database, path: String) throws -> UInt64 {
        let text = try String.fetchOne(db, sql: "SELECT value FROM metadata WHERE key = 'head'")
        guard let text, let head = UInt64(text) else {
            throw damaged(path, "the head '\(text ?? "")' is not a version number")
        }
        return head
    }

    /// `Invalid`: the file is damaged, what is wrong, and how to start over.
    static func damaged(_ path: String, _ problem: String) -> WippyError {
        WippyError.invalid("registry history \(path) is damaged: \(problem); it is not replayed. \(resetHint)")
    }

    /// A database error: damage (a malformed or truncated file) gets the reset hint.
    private static func failure(_ path: String, _ what: String, _ error: any Error) -> WippyError {
        guard let error = error as? DatabaseError else { return WippyError("registry history \(path): \(what): \(error)", kind: .internal) }
        let message = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_IOERR:
            return damaged(path, "\(what): \(message)")
        default:
            return WippyError("registry history \(path): \(what): \(message)", kind: .internal)
        }
    }
}
