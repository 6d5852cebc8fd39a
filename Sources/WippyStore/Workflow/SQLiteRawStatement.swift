import GRDB
import GRDBSQLite

/// Binds and runs a prepared GRDB statement through SQLite's C interface: the journal writer's hot
/// statements (one or two per event, thousands per commit) without building `StatementArguments` (an array
/// of boxed values per execution) or copying payloads into `Data` first.
///
/// Only the journal writer's thread uses it, on statements it alone prepares. Text and blob values are
/// copied into the writer's ``SQLiteBindArena`` and bound from there without a further copy
/// (`SQLITE_STATIC`); the arena is reset once the statement has run, and every execution binds every
/// parameter again (``execute()`` checks), so SQLite never reads a stale pointer.
struct SQLiteRawStatement {
    private let statement: OpaquePointer
    private let db: Database
    private let arena: SQLiteBindArena
    private var index: Int32 = 0

    init(_ statement: Statement, _ db: Database, arena: SQLiteBindArena) {
        self.statement = statement.sqliteStatement
        self.db = db
        self.arena = arena
    }

    /// `SQLITE_STATIC`: the value lives in the arena until the statement has run.
    private static let inArena = unsafeBitCast(0, to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bind(_ value: Int64?) {
        guard let value else { return bindNull() }
        bind(value)
    }

    mutating func bind(_ value: Bool) { bind(value ? 1 as Int64 : 0) }

    mutating func bind(_ value: String) {
        index += 1
        var value = value
        value.withUTF8 { text in
            guard !text.isEmpty else {
                // A zero-length text must not be bound from a nil pointer (that binds NULL); "" is static.
                _ = sqlite3_bind_text(statement, index, "", 0, SQLiteRawStatement.inArena)
                return
            }
            let copy = arena.copy(UnsafeRawBufferPointer(text))
            _ = sqlite3_bind_text(statement, index, copy.assumingMemoryBound(to: CChar.self), Int32(text.count), SQLiteRawStatement.inArena)
        }
    }

    mutating func bind(_ bytes: [UInt8]) {
        index += 1
        // A zero-length blob is bound as one (SQLite would take a nil pointer for NULL).
        guard !bytes.isEmpty else {
            sqlite3_bind_zeroblob(statement, index, 0)
            return
        }
        let copy = bytes.withUnsafeBytes { arena.copy($0) }
        _ = sqlite3_bind_blob(statement, index, copy, Int32(bytes.count), SQLiteRawStatement.inArena)
    }

    mutating func bind(_ bytes: [UInt8]?) {
        guard let bytes else { return bindNull() }
        bind(bytes)
    }

    mutating func bindNull() {
        index += 1
        sqlite3_bind_null(statement, index)
    }

    /// Runs the statement to its end with what was bound, then resets it for the next execution. Every
    /// parameter must have been bound (so no value of an earlier execution is left to clear: clearing them
    /// cost 1 % of the workflow benchmark's instructions).
    mutating func execute() throws {
        precondition(index == sqlite3_bind_parameter_count(statement), "a journal statement ran with unbound parameters")
        defer {
            sqlite3_reset(statement)
            arena.reset()
            index = 0
        }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else {
            let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            let sql = sqlite3_sql(statement).map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}
