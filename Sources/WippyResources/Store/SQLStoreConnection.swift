public import WippyCore

/// A value bound to, or read from, a `store.sql` statement.
public enum SQLStoreValue: Sendable, Equatable {
    case null
    case text(String)
    case bytes([UInt8])
    case integer(Int64)
}

/// The SQL dialects `store.sql` writes.
public enum SQLStoreDialect: Sendable {
    case sqlite
    case postgres

    /// The placeholder of the `index`th argument (from 1).
    func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: "?"
        case .postgres: "$\(index)"
        }
    }
}

/// The few statements `store.sql` needs from a database: its own small seam, so that the store moves onto
/// the shared `db.sql.*` resource (the `sql` module's connection pools) by adapting that resource to this
/// protocol instead of opening its own connections.
///
/// Calls wait on I/O: make them off the Lua workers.
public protocol SQLStoreConnection: Sendable {
    var dialect: SQLStoreDialect { get }
    /// Runs `sql` with `arguments` and returns every row's columns; `write` says whether it changes data.
    func rows(_ sql: String, _ arguments: [SQLStoreValue], write: Bool) throws(WippyError) -> [[SQLStoreValue]]
    func close()
}
