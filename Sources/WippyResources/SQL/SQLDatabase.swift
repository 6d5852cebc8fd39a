public import WippyCore

/// An SQL database resource (`db.sql.sqlite`, `db.sql.postgres`): runs statements on its connections and
/// reports back through completions, on any thread, so no caller thread ever waits for the disk, a lock or
/// the network.
///
/// Placeholders are the driver's own (`?` on SQLite, `$1` on PostgreSQL); the SQL text is not rewritten.
public protocol SQLDatabase: Resource {
    /// `sqlite` or `postgres` (what `db:type()` returns).
    var databaseType: String { get }

    func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>)
    func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>)
    /// Checks `sql` and gives a statement to run it again with other arguments.
    func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>)
    /// Starts a transaction on a connection of its own (held until commit or rollback).
    func begin(isolation: SQLIsolation, readOnly: Bool, completion: @escaping SQLCompletion<any SQLTransaction>)
    func stats() -> SQLStats

    /// Runs a read at once on the calling thread when that cannot wait (an idle connection, a read-only
    /// statement, nothing to lock), giving the rows to `sink` as they are read (the Lua module's point
    /// select: the SQL as the bytes of its Lua string, no ``SQLRows``); `mustWait` when the read must go
    /// through ``query(_:_:completion:)``.
    func readIfImmediate<Sink: SQLRowSink>(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue], into sink: inout Sink) -> SQLInlineRead
    /// Whether ``readIfImmediate(_:_:into:)`` may ever run a read (false: callers skip it).
    var readsInline: Bool { get }

    /// Runs a write at once on the calling thread when that cannot wait (an idle connection, a commit that
    /// does not sync, nothing to lock); nil when it must go through ``execute(_:_:completion:)``.
    /// `sql` is given as its UTF-8 bytes (the Lua string's own), so the common case makes no `String`.
    func executeIfImmediate(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue]) -> Result<SQLExecResult, WippyError>?

    /// Where its completions (and those of its transactions and statements) come from: this program's own
    /// threads working on the CPU and the local disk (SQLite, `.nearby`), within a fraction of a millisecond,
    /// or a database server (`.server`): it decides whether a caller's worker polls for them before parking.
    var completionSource: CompletionSource { get }
}

extension SQLDatabase {
    public var readsInline: Bool { false }
    public var completionSource: CompletionSource { .elsewhere }
    public func readIfImmediate<Sink: SQLRowSink>(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue], into sink: inout Sink) -> SQLInlineRead {
        .mustWait
    }
    public func executeIfImmediate(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue]) -> Result<SQLExecResult, WippyError>? { nil }

    /// ``executeIfImmediate(_:_:)-(UnsafeRawBufferPointer,_)`` for SQL held in a `String`.
    public func executeIfImmediate(_ sql: String, _ arguments: [SQLValue]) -> Result<SQLExecResult, WippyError>? {
        var sql = sql
        return sql.withUTF8 { executeIfImmediate(UnsafeRawBufferPointer($0), arguments) }
    }
}

/// A transaction: its own connection until ``commit(completion:)`` or ``rollback(completion:)``; after
/// either (even a failed one) every call fails with `Invalid` "transaction is not active".
public protocol SQLTransaction: AnyObject, Sendable {
    var databaseType: String { get }
    var isActive: Bool { get }
    func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>)
    func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>)
    func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>)
    func savepoint(_ action: SQLSavepoint.Action, name: String, completion: @escaping SQLCompletion<Void>)
    func commit(completion: @escaping SQLCompletion<Void>)
    func rollback(completion: @escaping SQLCompletion<Void>)
}

/// A prepared statement, of a database (any connection) or of a transaction (its connection). After
/// ``close(completion:)`` every call fails with `Invalid` "statement is closed".
public protocol SQLStatement: AnyObject, Sendable {
    var isClosed: Bool { get }
    func query(_ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>)
    func execute(_ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>)
    func close(completion: @escaping SQLCompletion<Void>)
}

public enum SQLErrors {
    public static let transactionNotActive = WippyError.invalid("transaction is not active")
    public static let statementClosed = WippyError.invalid("statement is closed")
    public static let statementAlreadyClosed = WippyError.invalid("statement is already closed")
    public static func databaseClosed(_ kind: String) -> WippyError { WippyError.unavailable("\(kind): the database is closed") }
}
