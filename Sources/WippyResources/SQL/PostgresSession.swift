import PostgresNIO

/// A pooled PostgreSQL connection and the statements this session has named on the server.
///
/// `pgbench -S` and every client that prepares (pgx, JDBC after a few runs) let the server parse and plan
/// a statement once per connection; an unnamed extended-protocol query is parsed, analysed and planned on
/// every run, which on a machine shared with the server costs it about half its throughput for a point
/// select. A database-level `query` whose SQL this session has run before is therefore run as a named
/// statement (``PostgresNamedStatement``).
///
/// Only the lease holder touches `statements` (the pool hands a session to one user at a time), hence the
/// unchecked `Sendable`.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    var statements = PostgresStatementCache()
    /// Runs the tasks of this session's named statements on the connection's event loop.
    let executor: PostgresLoopExecutor
    /// How each named text runs: by a ``PostgresPreparedQuery`` when its parameter types can be bound in
    /// binary, else (`async`) through ``PostgresNamedStatement``.
    var prepared: [String: Prepared] = [:]

    enum Prepared {
        case fast(PostgresPreparedQuery)
        case async
    }

    init(_ connection: PostgresConnection) {
        self.connection = connection
        executor = PostgresLoopExecutor(connection.eventLoop)
    }
}

/// Which SQL texts a session has seen and which it has named. A text is named the second time it runs, so a
/// statement run once (DDL, a query built with literals) costs no extra round trip. At most ``capacity``
/// texts are tracked and at most ``capacity`` names made per session; past that, new texts stay unnamed (the
/// server keeps each named plan until the connection closes, and postgres-nio remembers every name it
/// prepared, or failed to prepare, for the connection's life).
struct PostgresStatementCache {
    enum Plan: Equatable {
        case unnamed
        case named(String)
    }

    private enum Entry {
        case seen
        /// `confirmed`: a run by this name succeeded, so the name is prepared on the server.
        case named(String, confirmed: Bool)
    }

    static let capacity = 256
    private var entries: [String: Entry] = [:]
    private var names = 0

    mutating func plan(for sql: String) -> Plan {
        switch entries[sql] {
        case .named(let name, _)?: return .named(name)
        case .seen?:
            guard names < Self.capacity else { return .unnamed }
            names += 1
            let name = "wippy_\(names)"
            entries[sql] = .named(name, confirmed: false)
            return .named(name)
        case nil:
            if entries.count < Self.capacity { entries[sql] = .seen }
            return .unnamed
        }
    }

    /// A run by name succeeded.
    mutating func succeeded(_ sql: String) {
        if case .named(let name, confirmed: false)? = entries[sql] { entries[sql] = .named(name, confirmed: true) }
    }

    /// A run by name failed. A name that never ran may have failed to prepare, and postgres-nio answers every
    /// later run of that name with the same error, so the text gets a new name next time (a table created
    /// meanwhile makes it work); so does a name the server no longer knows or whose result columns changed
    /// (`stale`). A prepared name whose run failed (a bad argument) stays.
    mutating func failed(_ sql: String, stale: Bool) {
        guard case .named(_, let confirmed)? = entries[sql] else { return }
        if stale || !confirmed { entries[sql] = .seen }
    }
}
