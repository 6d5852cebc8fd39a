import Logging
import NIOCore
import NIOPosix
import PostgresNIO
public import WippyCore
public import WippyStore
import Synchronization

/// A `db.sql.postgres` database: a pool of postgres-nio connections with the entry's `pool` limits
/// (`max_open`, 0 for no limit; `max_idle`, 0 for Go's default of 2; `max_lifetime`). Every statement is a
/// round trip on an event loop that reports through a completion: no caller thread waits.
///
/// `last_insert_id` is always 0 (use `RETURNING`); placeholders are `$1, $2, ...`.
public final class PostgresSQLDatabase: SQLDatabase {
    public let kind = "db.sql.postgres"
    public let databaseType = "postgres"
    let pool: SQLConnectionPool<PostgresSession>
    let name: String
    static let logger = Logger(label: "wippy.sql.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Go's `database/sql` keeps 2 idle connections when no `max_idle` is set.
    public static let defaultMaxIdle = 2
    /// Its answers come from the server: a waiting worker polls for them while that leaves the server a core.
    public var completionSource: CompletionSource { .server }

    /// Connects once (so a wrong password or an unreachable server fails here) and keeps that connection
    /// as the pool's first.
    ///
    /// - Parameters:
    ///   - name: how errors name the database (its entry ID).
    /// - Throws: `Unavailable` (or `PermissionDenied` for a refused login) with the server's reason.
    public init(
        settings: PostgresConnectionSettings, name: String, maxOpen: Int, maxIdle: Int, maxLifetime: Duration?
    ) throws(WippyError) {
        self.name = name
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try settings.connectionConfiguration()
        } catch {
            throw error
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let ids = Atomic<Int>(1)
        let connect: @Sendable () -> EventLoopFuture<PostgresSession> = {
            PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: ids.add(1, ordering: .relaxed).newValue,
                logger: PostgresSQLDatabase.logger
            ).map(PostgresSession.init)
        }
        let first: PostgresSession
        do {
            first = try connect().wait()
        } catch {
            throw PostgresSQLDatabase.connectFailure(name, settings, error)
        }
        pool = SQLConnectionPool(
            limits: .init(
                maxOpen: maxOpen, maxIdle: maxIdle > 0 ? maxIdle : PostgresSQLDatabase.defaultMaxIdle, maxLifetime: maxLifetime),
            open: { completion in
                connect().whenComplete { result in
                    completion(result.mapError { PostgresSQLDatabase.connectFailure(name, settings, $0) })
                }
            },
            close: { session in
                // Kept until closed: postgres-nio insists a connection is closed before it is freed.
                let connection = session.connection
                (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
            },
            isBroken: { $0.connection.isClosed })
        pool.seed(first)
    }

    static func connectFailure(_ name: String, _ settings: PostgresConnectionSettings, _ error: any Error) -> WippyError {
        let failure = PostgresSQLValues.failure("connect to \(settings.description)", error)
        return WippyError(failure.message, kind: failure.kind == .internal ? .unavailable : failure.kind, retryable: true)
    }

    public func close() {
        pool.close()
    }

    public func stats() -> SQLStats { pool.stats() }

    /// Runs `body` on a pooled connection and gives it back when the future completes (closed when the
    /// connection was lost meanwhile).
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) -> EventLoopFuture<Value>, what: String,
        completion: @escaping SQLCompletion<Value>
    ) {
        let pool = self.pool
        pool.acquire { acquired in
            switch acquired {
            case .failure(let error): completion(.failure(error))
            case .success(let pooled):
                let connection = pooled.connection.connection
                body(connection).whenComplete { result in
                    pool.release(pooled, broken: connection.isClosed)
                    completion(result.mapError { PostgresSQLValues.failure(what, $0) })
                }
            }
        }
    }

    static func query(_ connection: PostgresConnection, _ sql: String, _ arguments: [SQLValue]) -> EventLoopFuture<SQLRows> {
        connection.query(PostgresQuery(unsafeSQL: sql, binds: PostgresSQLValues.bindings(arguments)), logger: logger)
            .map(PostgresSQLValues.rows)
    }

    static func execute(_ connection: PostgresConnection, _ sql: String, _ arguments: [SQLValue]) -> EventLoopFuture<SQLExecResult> {
        connection.query(PostgresQuery(unsafeSQL: sql, binds: PostgresSQLValues.bindings(arguments)), logger: logger)
            .map { SQLExecResult(lastInsertID: 0, rowsAffected: Int64($0.metadata.rows ?? 0)) }
    }

    /// A query on a pooled session: by name when the session has run the SQL before (see ``PostgresSession``),
    /// else unnamed.
    public func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>) {
        let pool = self.pool
        pool.acquire { acquired in
            switch acquired {
            case .failure(let error): completion(.failure(error))
            case .success(let pooled):
                if case .named(let name) = Self.plan(pooled.connection, sql, arguments) {
                    switch pooled.connection.prepared[sql] {
                    case .async?: Self.queryNamed(pooled, name: name, sql, arguments, pool: pool, completion: completion)
                    case .fast(let prepared)?:
                        guard let binds = prepared.binds(arguments) else {
                            return Self.queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion)
                        }
                        pooled.connection.connection.eventLoop.execute {
                            Self.queryPrepared(pooled, prepared, binds, sql, arguments, pool: pool, completion: completion)
                        }
                    case nil:
                        pooled.connection.connection.eventLoop.execute {
                            Self.prepare(pooled, name: name, sql, arguments, pool: pool, completion: completion)
                        }
                    }
                } else {
                    Self.queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion)
                }
            }
        }
    }

    /// A bytea argument is sent as binary and would fix its parameter's type for every later run of a name;
    /// untyped text leaves each parameter's type to the server, the same on every run.
    static func plan(_ session: PostgresSession, _ sql: String, _ arguments: [SQLValue]) -> PostgresStatementCache.Plan {
        for argument in arguments {
            if case .blob = argument { return .unnamed }
        }
        return session.statements.plan(for: sql)
    }

    static func queryUnnamed(
        _ pooled: SQLConnectionPool<PostgresSession>.Pooled, _ sql: String, _ arguments: [SQLValue],
        pool: SQLConnectionPool<PostgresSession>, completion: @escaping SQLCompletion<SQLRows>
    ) {
        let connection = pooled.connection.connection
        query(connection, sql, arguments).whenComplete { result in
            pool.release(pooled, broken: connection.isClosed)
            completion(result.mapError { PostgresSQLValues.failure("query", $0) })
        }
    }

    /// Prepares `sql` on the session and learns its parameter types (once per session and text), then runs
    /// it as ``queryPrepared(_:_:_:_:_:pool:completion:)`` when they can be bound in binary, else as
    /// ``queryNamed(_:name:_:_:pool:completion:)``. A text the server cannot prepare runs unnamed (its own
    /// error is reported) and may be named again later. Runs on the connection's event loop.
    static func prepare(
        _ pooled: SQLConnectionPool<PostgresSession>.Pooled, name: String, _ sql: String, _ arguments: [SQLValue],
        pool: SQLConnectionPool<PostgresSession>, completion: @escaping SQLCompletion<SQLRows>
    ) {
        let session = pooled.connection
        let connection = session.connection
        connection.prepare(query: sql).flatMap { prepared in
            query(connection, PostgresPreparedQuery.parameterTypesQuery, [.text(sql)]).map { (prepared, $0) }
        }.whenComplete { result in
            guard case .success(let (prepared, described)) = result else {
                session.statements.failed(sql, stale: false)
                if connection.isClosed, case .failure(let error) = result {
                    pool.release(pooled, broken: true)
                    return completion(.failure(PostgresSQLValues.failure("query", error)))
                }
                return queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion)
            }
            session.statements.succeeded(sql)
            guard case .text(let text)? = described.rows.first?.first, let types = PostgresPreparedQuery.parameterTypes(text),
                types.allSatisfy(PostgresPreparedQuery.canBind)
            else {
                // The async path prepares the text under its own name: this one would only hold a plan.
                _ = prepared.deallocate()
                session.prepared[sql] = .async
                return queryNamed(pooled, name: name, sql, arguments, pool: pool, completion: completion)
            }
            let fast = PostgresPreparedQuery(query: prepared, parameterTypes: types)
            session.prepared[sql] = .fast(fast)
            guard let binds = fast.binds(arguments) else { return queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion) }
            queryPrepared(pooled, fast, binds, sql, arguments, pool: pool, completion: completion)
        }
    }

    /// One run of a statement prepared by ``prepare(_:name:_:_:pool:completion:)``: Bind and Execute, rows by
    /// callback, all on the connection's event loop. A statement the server no longer has as it was prepared
    /// is forgotten and this run goes unnamed.
    static func queryPrepared(
        _ pooled: SQLConnectionPool<PostgresSession>.Pooled, _ prepared: PostgresPreparedQuery, _ binds: [PostgresData],
        _ sql: String, _ arguments: [SQLValue], pool: SQLConnectionPool<PostgresSession>, completion: @escaping SQLCompletion<SQLRows>
    ) {
        let session = pooled.connection
        let rows = RowsBox()
        prepared.query.execute(binds) { rows.builder.append($0, binary: true) }.whenComplete { result in
            if case .failure(let error) = result, PostgresSQLValues.isStale(error), !session.connection.isClosed {
                session.prepared[sql] = nil
                session.statements.failed(sql, stale: true)
                return queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion)
            }
            pool.release(pooled, broken: session.connection.isClosed)
            completion(result.map { rows.builder.rows }.mapError { PostgresSQLValues.failure("query", $0) })
        }
    }

    /// The rows of one prepared run, filled on its event loop only.
    final class RowsBox: @unchecked Sendable {
        var builder = PostgresSQLValues.RowsBuilder()
    }

    /// Runs the named statement in a task on the connection's event loop (``PostgresLoopExecutor``): no
    /// thread of the global executor is woken. A name the server no
    /// longer knows as prepared is run again unnamed.
    static func queryNamed(
        _ pooled: SQLConnectionPool<PostgresSession>.Pooled, name: String, _ sql: String, _ arguments: [SQLValue],
        pool: SQLConnectionPool<PostgresSession>, completion: @escaping SQLCompletion<SQLRows>
    ) {
        let session = pooled.connection
        let bindings = PostgresSQLValues.bindings(arguments)
        Task(executorPreference: session.executor) {
            let rows: SQLRows
            do {
                rows = try await PostgresNamedStatement.run(on: session.connection, name: name, sql: sql, bindings: bindings, logger: logger)
            } catch {
                let stale = PostgresSQLValues.isStale(error)
                session.statements.failed(sql, stale: stale)
                if stale && !session.connection.isClosed {
                    return queryUnnamed(pooled, sql, arguments, pool: pool, completion: completion)
                }
                pool.release(pooled, broken: session.connection.isClosed)
                return completion(.failure(PostgresSQLValues.failure("query", error)))
            }
            session.statements.succeeded(sql)
            pool.release(pooled, broken: session.connection.isClosed)
            completion(.success(rows))
        }
    }

    public func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>) {
        withConnection({ Self.execute($0, sql, arguments) }, what: "execute", completion: completion)
    }

    public func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>) {
        // Checked by the server when first run (each run is a parse-bind-execute round trip).
        completion(.success(SQLOwnedStatement(sql: sql, owner: .database(self))))
    }

    static func beginStatement(_ isolation: SQLIsolation, readOnly: Bool) throws(WippyError) -> String {
        var statement = "BEGIN"
        switch isolation {
        case .default: break
        case .readUncommitted: statement += " ISOLATION LEVEL READ UNCOMMITTED"
        case .readCommitted: statement += " ISOLATION LEVEL READ COMMITTED"
        case .repeatableRead: statement += " ISOLATION LEVEL REPEATABLE READ"
        case .serializable: statement += " ISOLATION LEVEL SERIALIZABLE"
        case .writeCommitted: throw WippyError.invalid("begin: isolation level write_committed is not supported by PostgreSQL")
        }
        if readOnly { statement += " READ ONLY" }
        return statement
    }

    public func begin(isolation: SQLIsolation, readOnly: Bool, completion: @escaping SQLCompletion<any SQLTransaction>) {
        let statement: String
        do throws(WippyError) {
            statement = try Self.beginStatement(isolation, readOnly: readOnly)
        } catch {
            return completion(.failure(error))
        }
        let pool = self.pool
        pool.acquire { acquired in
            switch acquired {
            case .failure(let error): completion(.failure(error))
            case .success(let pooled):
                Self.execute(pooled.connection.connection, statement, []).whenComplete { result in
                    switch result {
                    case .success: completion(.success(PostgresSQLTransaction(pool: pool, pooled: pooled)))
                    case .failure(let error):
                        pool.release(pooled, broken: true)
                        completion(.failure(PostgresSQLValues.failure("begin", error)))
                    }
                }
            }
        }
    }
}

/// A transaction on one pooled connection, held until it ends.
final class PostgresSQLTransaction: SQLTransaction {
    typealias Pool = SQLConnectionPool<PostgresSession>
    let databaseType = "postgres"
    let pool: Pool
    private let pooled: Mutex<Pool.Pooled?>

    init(pool: Pool, pooled: Pool.Pooled) {
        self.pool = pool
        self.pooled = Mutex(pooled)
    }

    var isActive: Bool { pooled.withLock { $0 != nil } }

    private func run<Value: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) -> EventLoopFuture<Value>, what: String,
        completion: @escaping SQLCompletion<Value>
    ) {
        guard let pooled = pooled.withLock({ $0 }) else { return completion(.failure(SQLErrors.transactionNotActive)) }
        body(pooled.connection.connection).whenComplete { completion($0.mapError { PostgresSQLValues.failure(what, $0) }) }
    }

    func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>) {
        run({ PostgresSQLDatabase.query($0, sql, arguments) }, what: "query", completion: completion)
    }

    func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>) {
        run({ PostgresSQLDatabase.execute($0, sql, arguments) }, what: "execute", completion: completion)
    }

    func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>) {
        guard isActive else { return completion(.failure(SQLErrors.transactionNotActive)) }
        completion(.success(SQLOwnedStatement(sql: sql, owner: .transaction(self))))
    }

    func savepoint(_ action: SQLSavepoint.Action, name: String, completion: @escaping SQLCompletion<Void>) {
        let statement: String
        do throws(WippyError) {
            statement = try SQLSavepoint.statement(action, name: name)
        } catch {
            return completion(.failure(error))
        }
        run({ PostgresSQLDatabase.execute($0, statement, []).map { _ in () } }, what: "savepoint", completion: completion)
    }

    func commit(completion: @escaping SQLCompletion<Void>) { end("COMMIT", completion: completion) }
    func rollback(completion: @escaping SQLCompletion<Void>) { end("ROLLBACK", completion: completion) }

    private func end(_ statement: String, completion: @escaping SQLCompletion<Void>) {
        guard let pooled = pooled.withLock({ value in defer { value = nil }; return value }) else {
            return completion(.failure(SQLErrors.transactionNotActive))
        }
        let pool = self.pool
        PostgresSQLDatabase.execute(pooled.connection.connection, statement, []).whenComplete { result in
            // A COMMIT that failed on the server leaves the connection out of the transaction (the server
            // rolls back); one whose answer was lost leaves it unknown: close it.
            pool.release(pooled, broken: pooled.connection.connection.isClosed || (try? result.get()) == nil)
            completion(result.map { _ in () }.mapError { PostgresSQLValues.failure(statement.lowercased(), $0) })
        }
    }
}
