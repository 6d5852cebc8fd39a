import GRDBSQLite

/// What a commit on an SQLite connection costs, as far as deciding where it may run: whether it waits for
/// the disk (an fsync) or only copies pages into the write-ahead log (the page cache), and how big that log
/// has grown.
///
/// With `journal_mode=WAL` and `synchronous` at NORMAL or OFF, a commit appends to the log and returns:
/// microseconds of CPU work, which may run on the caller's thread like a read. The log's fsync happens at a
/// checkpoint, which this connection never runs inline: SQLite's own automatic checkpoint (which would run
/// inside whichever commit crossed the threshold) is replaced by a hook that counts the log's pages, and the
/// database runs the checkpoint on its executor once ``checkpointDue`` says so.
///
/// Not thread-safe: read and written by the holder of the connection.
final class SQLiteDurability {
    /// SQLite's default automatic-checkpoint threshold, in pages.
    static let checkpointPages: Int32 = 1000

    /// True when a commit cannot wait for the disk (WAL with NORMAL or OFF sync, or an in-memory database).
    private(set) var commitsWithoutSync: Bool
    /// Pages in the write-ahead log after the last commit (from the hook).
    fileprivate(set) var walPages: Int32 = 0
    let inMemory: Bool

    init(inMemory: Bool) {
        self.inMemory = inMemory
        commitsWithoutSync = inMemory
    }

    /// Whether a checkpoint should run (on the executor) now.
    var checkpointDue: Bool { walPages >= Self.checkpointPages }

    /// Installs the page-counting hook on `db` (replacing the automatic checkpoint) and reads the settings.
    func install(on db: OpaquePointer?) {
        guard !inMemory else { return }
        sqlite3_wal_hook(db, { context, _, _, pages in
            Unmanaged<SQLiteDurability>.fromOpaque(context!).takeUnretainedValue().walPages = pages
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
        refresh(on: db)
    }

    /// Re-reads `journal_mode` and `synchronous` (after a statement that may have changed them).
    func refresh(on db: OpaquePointer?) {
        guard !inMemory else { return }
        let journal = Self.pragma("journal_mode", on: db)?.lowercased()
        let synchronous = Self.pragma("synchronous", on: db).flatMap { Int($0) }
        commitsWithoutSync = journal == "wal" && (synchronous ?? 2) <= 1
    }

    /// Runs a passive checkpoint (on the executor: it syncs the log and writes the database file).
    func checkpoint(on db: OpaquePointer?) {
        // Inside a transaction the checkpoint would be refused; the commit's own check comes next.
        guard !inMemory, sqlite3_get_autocommit(db) != 0 else { return }
        var logged: Int32 = 0
        var copied: Int32 = 0
        if sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied) == SQLITE_OK {
            walPages = logged - copied
        }
    }

    /// True when `sql` mentions `pragma` (ASCII, any case): the settings may have changed.
    static func mayChangeSettings(_ sql: String) -> Bool {
        let word: [UInt8] = Array("pragma".utf8)
        var matched = 0
        for byte in sql.utf8 {
            let lower = byte | 0x20
            if lower == word[matched] {
                matched += 1
                if matched == word.count { return true }
            } else {
                matched = lower == word[0] ? 1 : 0
            }
        }
        return false
    }

    private static func pragma(_ name: String, on db: OpaquePointer?) -> String? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA \(name)", -1, &statement, nil) == SQLITE_OK, let statement else { return nil }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }
}
