import Dispatch
public import WippyCore
import Synchronization

/// `store.sql` on the `db.sql.*` resource its entry names: the store's statements run on that database's
/// own connections (its pool, its single SQLite connection), not on connections of the store's own. Each
/// statement leases the database for its own duration, so a database entry changed live serves the store's
/// next statement while statements in flight finish on the old one.
///
/// Store calls run on the blocking pool (the sweeper on its timer thread), so ``rows(_:_:write:)`` waits
/// there for the database's completion; the database itself never blocks a thread for it.
public final class SQLDatabaseStoreConnection: SQLStoreConnection {
    private enum Source {
        case fixed(any SQLDatabase)
        case entry(ResourceTable, EntryID)
    }
    private let source: Source
    public let dialect: SQLStoreDialect

    /// On `database` itself, which ``close()`` closes.
    public init(database: any SQLDatabase) {
        source = .fixed(database)
        dialect = Self.dialect(of: database)
    }

    /// On whatever `id` is in `resources` at each statement (it must be open now: its type sets the dialect).
    public init(resources: ResourceTable, id: EntryID) throws(WippyError) {
        let (lease, database) = try resources.acquire(id, as: (any SQLDatabase).self, what: "a SQL database")
        defer { lease.release() }
        source = .entry(resources, id)
        dialect = Self.dialect(of: database)
    }

    private static func dialect(of database: any SQLDatabase) -> SQLStoreDialect {
        database.databaseType == "postgres" ? .postgres : .sqlite
    }

    public func rows(_ sql: String, _ arguments: [SQLStoreValue], write: Bool) throws(WippyError) -> [[SQLStoreValue]] {
        let database: any SQLDatabase
        var lease: ResourceLease?
        switch source {
        case .fixed(let fixed): database = fixed
        case .entry(let resources, let id):
            let acquired = try resources.acquire(id, as: (any SQLDatabase).self, what: "a SQL database")
            lease = acquired.lease
            database = acquired.resource
            guard Self.dialect(of: database) == dialect else {
                acquired.lease.release()
                throw WippyError.unavailable("store: database \(id) is now \(database.databaseType); the store restarts to use it")
            }
        }
        defer { lease?.release() }
        let values = arguments.map { argument -> SQLValue in
            switch argument {
            case .null: .null
            case .text(let text): .text(text)
            case .bytes(let bytes): .blob(bytes)
            case .integer(let number): .integer(number)
            }
        }
        let answered = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<SQLRows, WippyError>?>(nil)
        database.query(sql, values) { result in
            outcome.withLock { $0 = result }
            answered.signal()
        }
        answered.wait()
        let rows = try outcome.withLock { $0 ?? .failure(.internal("store: the database gave no answer")) }.get()
        return rows.rows.map { row in
            row.map { value -> SQLStoreValue in
                switch value {
                case .null: .null
                case .text(let text): .text(text)
                case .blob(let bytes): .bytes(bytes)
                case .integer(let number): .integer(number)
                case .bool(let flag): .integer(flag ? 1 : 0)
                case .real(let number): .text("\(number)")
                }
            }
        }
    }

    /// Closes a database given at init; one reached through its entry belongs to that entry.
    public func close() {
        if case .fixed(let database) = source { database.close() }
    }
}
