public import WippyCore

/// A value bound to, or read from, an SQL statement.
///
/// Reads never give `.bool` for SQLite except from columns declared BOOLEAN; date and time values are read
/// as `.text` holding an RFC 3339 time in UTC.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'\(value)'"
        case .blob(let bytes): "<\(bytes.count) bytes>"
        case .bool(let value): value ? "true" : "false"
        }
    }
}

/// The rows of a query: column names in result order and one array of values per row.
public struct SQLRows: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// What a statement that changes data reports.
public struct SQLExecResult: Sendable, Equatable {
    /// The rowid of the last inserted row on SQLite; always 0 on PostgreSQL (use `RETURNING`).
    public var lastInsertID: Int64
    public var rowsAffected: Int64

    public init(lastInsertID: Int64, rowsAffected: Int64) {
        self.lastInsertID = lastInsertID
        self.rowsAffected = rowsAffected
    }
}

/// Transaction isolation levels, by the names the `sql` module uses (`sql.isolation.*`).
public enum SQLIsolation: String, Sendable, CaseIterable {
    case `default` = "default"
    case readUncommitted = "read_uncommitted"
    case readCommitted = "read_committed"
    case writeCommitted = "write_committed"
    case repeatableRead = "repeatable_read"
    case serializable = "serializable"

    /// The level named `name`.
    ///
    /// - Throws: `Invalid` listing the known names.
    public static func named(_ name: String) throws(WippyError) -> SQLIsolation {
        guard let level = SQLIsolation(rawValue: name.lowercased()) else {
            throw WippyError.invalid(
                "unknown isolation level '\(name)' (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return level
    }
}

/// Pool figures of a database (`db:stats()`), as Go's `sql.DBStats` names them.
public struct SQLStats: Sendable, Equatable {
    public var maxOpenConnections = 0
    public var openConnections = 0
    public var inUse = 0
    public var idle = 0
    public var waitCount: Int64 = 0
    public var waitDuration: Duration = .zero
    public var maxIdleClosed: Int64 = 0
    public var maxIdleTimeClosed: Int64 = 0
    public var maxLifetimeClosed: Int64 = 0

    public init() {}
}

/// How SQL work reports back: called once, on any thread.
public typealias SQLCompletion<Value: Sendable> = @Sendable (Result<Value, WippyError>) -> Void

/// Savepoint names: `[A-Za-z0-9_]+`, as Wippy accepts them.
public enum SQLSavepoint {
    public enum Action: Sendable {
        case create, rollbackTo, release

        func sql(_ name: String) -> String {
            switch self {
            case .create: "SAVEPOINT \(name)"
            case .rollbackTo: "ROLLBACK TO SAVEPOINT \(name)"
            case .release: "RELEASE SAVEPOINT \(name)"
            }
        }
    }

    /// The statement of `action` on savepoint `name`.
    ///
    /// - Throws: `Invalid` for an empty name or one with other characters than letters, digits and `_`.
    public static func statement(_ action: Action, name: String) throws(WippyError) -> String {
        guard !name.isEmpty,
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw WippyError.invalid("invalid savepoint name '\(name)': use letters, digits and _")
        }
        return action.sql(name)
    }
}
