import Foundation
import GRDB
import GRDBSQLite
import WippyCore
import WippyStore

/// The one connection of an SQLite database: a GRDB `DatabaseQueue` in WAL mode, with statements run
/// through SQLite's C interface on GRDB's cached statements (the bind-step-read loop of a point select
/// without boxing each value).
///
/// Not thread-safe by itself: the database's pool hands it to one user at a time.
final class SQLiteConnection: @unchecked Sendable {
    let queue: DatabaseQueue
    /// Whether commits wait for the disk; the write-ahead log's size.
    let durability: SQLiteDurability
    /// How errors name the database.
    let name: String
    /// Column names and declared types by statement (GRDB keeps cached statements alive).
    private var columns: [ObjectIdentifier: [SQLiteColumn]] = [:]
    static let busyTimeoutMilliseconds: Int32 = 5000

    init(path: String?, name: String) throws(WippyError) {
        self.name = name
        SQLiteTuning.apply()
        var configuration = Configuration()
        configuration.label = name
        // The busy timeout is set on the handle (below), so inline reads can switch it off.
        configuration.busyMode = .immediateError
        // A transaction spans several calls (`db:begin` ... `tx:commit`), each its own database access.
        configuration.allowsUnsafeTransactions = true
        do {
            if let path {
                // `file: ./data/app.db` in a fresh project: the folder is made, as the file would be.
                let folder = (path as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.inDatabase { db in
                    // The timeout first: switching a file to WAL needs it alone for a moment, and another
                    // connection reading it then (a second process, the file's previous user) must be waited
                    // for, not answered with "database is locked" (a live swap to that file failed so).
                    sqlite3_busy_timeout(db.sqliteConnection, SQLiteConnection.busyTimeoutMilliseconds)
                    _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                }
            } else {
                queue = try DatabaseQueue(configuration: configuration)
            }
            durability = SQLiteDurability(inMemory: path == nil)
            queue.inDatabase { db in
                durability.install(on: db.sqliteConnection)
                // GRDB's commit and rollback hooks feed its transaction observers, and the commit hook needs
                // GRDB's queue context (it reads the scheduling watchdog). This connection registers no
                // observers and an inline write commits on a worker thread outside that context, so the
                // hooks go; GRDB treats a COMMIT it runs without them as one of an empty transaction.
                sqlite3_commit_hook(db.sqliteConnection, nil, nil)
                sqlite3_rollback_hook(db.sqliteConnection, nil, nil)
            }
        } catch {
            throw SQLiteConnection.failure("open \(name)", error)
        }
    }

    func close() {
        hot = nil
        hotWrite = nil
        columns = [:]
        try? queue.close()
    }

    /// A GRDB or SQLite error as a ``WippyError``: `<what>: <SQLite's message>`.
    static func failure(_ what: String, _ error: any Error) -> WippyError {
        if let error = error as? WippyError { return error }
        if let error = error as? DatabaseError {
            return failure(what, code: error.resultCode.primaryResultCode.rawValue, message: error.message ?? "\(error)")
        }
        return WippyError.internal("\(what): \(error)")
    }

    static func failure(_ what: String, code: Int32, message: String) -> WippyError {
        switch code & 0xff {
        case SQLITE_CONSTRAINT: return WippyError("\(what): \(message)", kind: .conflict, retryable: false)
        case SQLITE_BUSY, SQLITE_LOCKED: return WippyError("\(what): \(message)", kind: .unavailable, retryable: true)
        case SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_READONLY: return WippyError.unavailable("\(what): \(message)")
        default: return WippyError("\(what): \(message)", kind: .internal, retryable: false)
        }
    }

    // MARK: - Running statements (the holder of the connection calls these)

    /// The last read run inline: the next inline run of the same SQL skips GRDB's statement cache and
    /// queue (the connection is this caller's alone, lent by the pool), and is recognised by its bytes
    /// before any `String` is made of them.
    private final class HotRead {
        let sql: [UInt8]
        let statement: Statement
        var columns: [SQLiteColumn] { didSet { names = columns.map(\.name) } }
        /// The columns' names, kept (each result carries them).
        private(set) var names: [String]
        init(sql: String, statement: Statement, columns: [SQLiteColumn]) {
            self.sql = Array(sql.utf8)
            self.statement = statement
            self.columns = columns
            names = columns.map(\.name)
        }

        func matches(_ text: UnsafeRawBufferPointer) -> Bool { SQLiteConnection.same(sql, text) }
    }

    /// True when `text` holds exactly the bytes of `kept`.
    static func same(_ kept: [UInt8], _ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count == kept.count else { return false }
        guard let base = text.baseAddress, !kept.isEmpty else { return kept.isEmpty }
        return kept.withUnsafeBytes { memcmp($0.baseAddress!, base, text.count) == 0 }
    }
    private var hot: HotRead?
    /// The `sqlite3` handle (GRDB opens it in multi-thread mode; the pool lends it to one user at a time).
    private lazy var handle: OpaquePointer? = queue.inDatabase { $0.sqliteConnection }

    /// Runs `sql` and reads every row (on the executor, or a transaction's or statement's holder).
    func query(_ sql: String, _ arguments: [SQLValue]) -> Result<SQLRows, WippyError>? {
        var builder = SQLRowsBuilder()
        let read = readCached(sql, arguments, immediate: false, into: &builder)
        // `PRAGMA synchronous = ...` may come as a query too.
        if SQLiteDurability.mayChangeSettings(sql) {
            queue.inDatabase { durability.refresh(on: $0.sqliteConnection) }
        }
        return read.result(builder.rows)
    }

    /// Runs the read `sql` at once, giving its rows to `sink`; `mustWait` (nothing done) when the statement
    /// could change data, or when SQLite would have to wait for a lock.
    func readIfImmediate<Sink: SQLRowSink>(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue], into sink: inout Sink) -> SQLInlineRead {
        if let hot, hot.matches(sql) {
            let statement = hot.statement.sqliteStatement
            let count = sqlite3_column_count(statement)
            if count != Int32(hot.columns.count) { hot.columns = Self.columns(of: statement, count: count) }
            return Self.read(statement, db: handle, arguments, columns: hot.columns, names: hot.names, immediate: true, into: &sink)
        }
        return readCached(String(decoding: sql, as: UTF8.self), arguments, immediate: true, into: &sink)
    }

    /// Runs `sql` through GRDB's statement cache.
    private func readCached<Sink: SQLRowSink>(_ sql: String, _ arguments: [SQLValue], immediate: Bool, into sink: inout Sink) -> SQLInlineRead {
        do {
            return try queue.inDatabase { db -> SQLInlineRead in
                let statement = try db.cachedStatement(sql: sql)
                let handle = statement.sqliteStatement
                let count = sqlite3_column_count(handle)
                if immediate {
                    guard sqlite3_stmt_readonly(handle) != 0, count > 0 else { return .mustWait }
                }
                let columns = self.columns(of: statement, handle: handle, count: count)
                if immediate { hot = HotRead(sql: sql, statement: statement, columns: columns) }
                return Self.read(
                    handle, db: db.sqliteConnection, arguments, columns: columns, names: columns.map(\.name), immediate: immediate,
                    into: &sink)
            }
        } catch {
            return .failed(Self.failure("query", error))
        }
    }

    /// Binds, steps to the end and resets `statement`, giving the rows to `sink`; on the inline path,
    /// `mustWait` (with the sink given nothing) when SQLite reports a lock.
    private static func read<Sink: SQLRowSink>(
        _ statement: OpaquePointer, db: OpaquePointer?, _ arguments: [SQLValue], columns: [SQLiteColumn], names: [String],
        immediate: Bool, into sink: inout Sink
    ) -> SQLInlineRead {
        if immediate { sqlite3_busy_timeout(db, 0) }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if immediate { sqlite3_busy_timeout(db, SQLiteConnection.busyTimeoutMilliseconds) }
        }
        if let error = bind(arguments, to: statement, db: db) { return .failed(error) }
        let count = Int32(columns.count)
        var begun = false
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_ROW {
                if !begun {
                    sink.begin(columns: names)
                    begun = true
                }
                sink.beginRow()
                for index in 0..<count { Self.read(statement, index, columns[Int(index)], into: &sink) }
                sink.endRow()
                continue
            }
            if code == SQLITE_DONE { break }
            // A lock can only stop the first step (a read's snapshot is taken there): nothing reached the sink.
            if immediate && !begun && (code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED) { return .mustWait }
            return .failed(Self.failure("query", code: code, message: String(cString: sqlite3_errmsg(db))))
        }
        if !begun { sink.begin(columns: names) }
        return .done
    }

    /// Runs `sql` (several statements when there are no arguments) and reports the changes; on the
    /// executor (a commit may wait for the disk, and a due checkpoint runs here).
    func execute(_ sql: String, _ arguments: [SQLValue], what: String = "execute") -> Result<SQLExecResult, WippyError> {
        // One pass through GRDB's queue for the statement and the checks after it.
        queue.inDatabase { db in
            let result = run(sql, arguments, what: what, in: db)
            if SQLiteDurability.mayChangeSettings(sql) { durability.refresh(on: db.sqliteConnection) }
            if durability.checkpointDue { durability.checkpoint(on: db.sqliteConnection) }
            return result
        }
    }

    /// Runs a due checkpoint (on the executor).
    func checkpointIfDue() {
        guard durability.checkpointDue else { return }
        queue.inDatabase { durability.checkpoint(on: $0.sqliteConnection) }
    }

    /// The last write run inline (see ``executeIfImmediate(_:_:)``), recognised by the bytes of its SQL.
    private var hotWrite: (sql: [UInt8], statement: Statement)?

    /// Runs a single-statement INSERT, UPDATE, DELETE or REPLACE at once on the caller's thread when its
    /// commit cannot wait for the disk (``SQLiteDurability/commitsWithoutSync``) and no lock is held
    /// elsewhere (SQLite's busy handler is off: a busy answer returns nil, nothing done). nil: run it
    /// through ``execute(_:_:what:)`` on the executor.
    func executeIfImmediate(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue]) -> Result<SQLExecResult, WippyError>? {
        guard durability.commitsWithoutSync, let db = handle, sqlite3_get_autocommit(db) != 0 else { return nil }
        let statement: Statement
        if let hotWrite, Self.same(hotWrite.sql, sql) {
            statement = hotWrite.statement
        } else {
            let text = String(decoding: sql, as: UTF8.self)
            guard Self.isPlainWrite(text), !Self.mayHoldSeveral(text) else { return nil }
            guard let prepared = try? queue.inDatabase({ try $0.cachedStatement(sql: text) }),
                sqlite3_stmt_readonly(prepared.sqliteStatement) == 0
            else { return nil }
            statement = prepared
            hotWrite = (Array(sql), prepared)
        }
        // Outside GRDB's queue, as the inline reads: the pool lends the connection to this caller alone,
        // and GRDB's commit hook, which would need the queue, is removed at open.
        sqlite3_busy_timeout(db, 0)
        defer { sqlite3_busy_timeout(db, SQLiteConnection.busyTimeoutMilliseconds) }
        return Self.runToEnd(statement.sqliteStatement, db: db, arguments, what: "execute", immediate: true)
    }

    /// Binds, steps `statement` to its end and resets it, reporting the changes; on the inline path
    /// (`immediate`), nil (nothing done) when SQLite reports a lock.
    private static func runToEnd(
        _ statement: OpaquePointer, db: OpaquePointer?, _ arguments: [SQLValue], what: String, immediate: Bool
    ) -> Result<SQLExecResult, WippyError>? {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        if let error = bind(arguments, to: statement, db: db) { return .failure(error) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else {
            if immediate && (code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED) { return nil }
            return .failure(failure(what, code: code, message: String(cString: sqlite3_errmsg(db))))
        }
        return .success(SQLExecResult(lastInsertID: sqlite3_last_insert_rowid(db), rowsAffected: Int64(sqlite3_changes(db))))
    }

    /// True when `sql` starts (after blanks) with INSERT, UPDATE, DELETE or REPLACE.
    static func isPlainWrite(_ sql: String) -> Bool {
        var word: [UInt8] = []
        for byte in sql.utf8 {
            if byte <= 32 {
                if word.isEmpty { continue }
                break
            }
            guard word.count < 7 else { return false }
            word.append(byte | 0x20)
        }
        switch String(decoding: word, as: UTF8.self) {
        case "insert", "update", "delete", "replace": return true
        default: return false
        }
    }

    private func run(_ sql: String, _ arguments: [SQLValue], what: String, in db: Database) -> Result<SQLExecResult, WippyError> {
        do {
            let connection = db.sqliteConnection
            guard arguments.isEmpty && Self.mayHoldSeveral(sql) else {
                let statement = try db.cachedStatement(sql: sql)
                // Not inline: a lock is waited for (busy timeout), so the result is never nil.
                return Self.runToEnd(statement.sqliteStatement, db: connection, arguments, what: what, immediate: false)!
            }
            try db.execute(sql: sql)
            return .success(SQLExecResult(
                lastInsertID: sqlite3_last_insert_rowid(connection), rowsAffected: Int64(sqlite3_changes(connection))))
        } catch {
            return .failure(Self.failure(what, error))
        }
    }

    /// Compiles `sql` (syntax and names checked) without running it.
    func check(_ sql: String) -> Result<Void, WippyError> {
        do {
            return try queue.inDatabase { db in
                _ = try db.cachedStatement(sql: sql)
                return .success(())
            }
        } catch {
            return .failure(Self.failure("prepare", error))
        }
    }

    /// True inside an open transaction.
    var inTransaction: Bool {
        queue.inDatabase { db in sqlite3_get_autocommit(db.sqliteConnection) == 0 }
    }

    /// A `;` before the end (beyond trailing blanks) may start a second statement: GRDB's `execute` runs
    /// them all, as Go's driver does.
    static func mayHoldSeveral(_ sql: String) -> Bool {
        guard let semicolon = sql.utf8.firstIndex(of: UInt8(ascii: ";")) else { return false }
        return sql.utf8[sql.utf8.index(after: semicolon)...].contains { $0 > 32 }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ arguments: [SQLValue], to handle: OpaquePointer, db: OpaquePointer?) -> WippyError? {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count <= expected else {
            return WippyError.invalid("query: \(arguments.count) arguments given, the statement takes \(expected)")
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .bool(let flag): code = sqlite3_bind_int64(handle, index, flag ? 1 : 0)
            case .text(var text):
                code = text.withUTF8 { bytes in
                    guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                    return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                        sqlite3_bind_text(handle, index, chars, Int32(bytes.count), Self.transient)
                    }
                }
            case .blob(let bytes):
                code = bytes.isEmpty
                    ? sqlite3_bind_zeroblob(handle, index, 0)
                    : bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard code == SQLITE_OK else {
                return Self.failure("bind argument \(index)", code: code, message: String(cString: sqlite3_errmsg(db)))
            }
        }
        return nil
    }

    private func columns(of statement: Statement, handle: OpaquePointer, count: Int32) -> [SQLiteColumn] {
        let key = ObjectIdentifier(statement)
        if let known = columns[key], known.count == Int(count) { return known }
        let found = Self.columns(of: handle, count: count)
        columns[key] = found
        return found
    }

    private static func columns(of handle: OpaquePointer, count: Int32) -> [SQLiteColumn] {
        (0..<count).map { index in
            SQLiteColumn(
                name: sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "",
                declared: sqlite3_column_decltype(handle, index).map { String(cString: $0).lowercased() } ?? "")
        }
    }

    /// Column `index` of the current row to `sink`: plain text as SQLite holds it when it is valid UTF-8
    /// (it always is unless a blob was stored as text), everything else as a ``SQLValue``.
    private static func read<Sink: SQLRowSink>(_ handle: OpaquePointer, _ index: Int32, _ column: SQLiteColumn, into sink: inout Sink) {
        if column.affinity == .plain, sqlite3_column_type(handle, index) == SQLITE_TEXT {
            let length = Int(sqlite3_column_bytes(handle, index))
            let text = UnsafeRawBufferPointer(start: sqlite3_column_text(handle, index), count: length)
            if UTF8Text.isValid(text) {
                sink.add(text: text, column: Int(index))
                return
            }
        }
        sink.add(read(handle, index, column), column: Int(index))
    }


    private static func read(_ handle: OpaquePointer, _ index: Int32, _ column: SQLiteColumn) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            let number = sqlite3_column_int64(handle, index)
            switch column.affinity {
            case .bool: return .bool(number != 0)
            case .time: return .text(SQLTime.format(seconds: number))
            case .plain: return .integer(number)
            }
        case SQLITE_FLOAT:
            let number = sqlite3_column_double(handle, index)
            if column.affinity == .time, number.isFinite {
                let seconds = number.rounded(.down)
                return .text(SQLTime.format(seconds: Int64(seconds), nanoseconds: Int64((number - seconds) * 1e9)))
            }
            return .real(number)
        case SQLITE_TEXT:
            let length = Int(sqlite3_column_bytes(handle, index))
            let text = sqlite3_column_text(handle, index).map {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? ""
            if column.affinity == .time, let time = SQLTime.normalize(text) { return .text(time) }
            return .text(text)
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(handle, index))
            guard length > 0, let bytes = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: length)))
        default:
            return .null
        }
    }
}

/// A result column: its name and how its declared type makes values read.
struct SQLiteColumn {
    enum Affinity { case plain, bool, time }
    let name: String
    let affinity: Affinity

    init(name: String, declared: String) {
        self.name = name
        switch declared {
        case "boolean", "bool": affinity = .bool
        case "date", "datetime", "timestamp": affinity = .time
        default: affinity = .plain
        }
    }
}
