import Dispatch
#if canImport(Glibc)
import Glibc
#endif
public import WippyCore
import Synchronization

/// A `db.sql.sqlite` database: one connection (as Wippy keeps it), in WAL mode.
///
/// Where statements run:
/// - reads that cannot wait (the connection idle, a read-only statement, no lock to wait for: SQLite's
///   busy handler is off for them and a busy answer sends them the slow way) run inline on the caller's
///   thread through ``readIfImmediate(_:_:into:)``: microseconds of CPU work, cheaper than any hand-off;
/// - so do single-row writes whose commit only appends to the write-ahead log (`synchronous` NORMAL or
///   OFF, see ``SQLiteDurability``), through ``executeIfImmediate(_:_:)``; the log's checkpoint, which
///   syncs, runs on the executor;
/// - everything else runs on the database's own serial queue (a ``LingeringSerialQueue``, so a process
///   writing row after row finds its thread awake) and reports through a completion, so the caller never
///   waits on the disk or a lock. A transaction holds the connection until it ends; other
///   users wait in the pool's line meanwhile (never a thread).
public final class SQLiteSQLDatabase: SQLDatabase {
    public let kind = "db.sql.sqlite"
    public let databaseType = "sqlite"
    /// The file, nil for `:memory:`.
    public let path: String?
    let pool: SQLConnectionPool<SQLiteConnection>
    let executor: LingeringSerialQueue

    /// Opens the database (the first connection is opened here, so a bad path fails at once).
    ///
    /// - Parameters:
    ///   - path: the file; nil for a private in-memory database.
    ///   - name: how errors name the database (its entry ID).
    ///   - maxLifetime: connections are reopened once this old (never for `:memory:`, whose data would go).
    /// - Throws: `Unavailable` when the file cannot be opened or is not a database.
    public init(path: String?, name: String, maxLifetime: Duration? = nil) throws(WippyError) {
        self.path = path
        let label = "\(name) (\(path ?? ":memory:"))"
        let executor = LingeringSerialQueue(label: "wippy.sql.sqlite.\(name)")
        self.executor = executor
        let first = try SQLiteConnection(path: path, name: label)
        if case .failure(let error) = first.execute("SELECT 1 FROM sqlite_master LIMIT 1", [], what: "open \(label)") {
            first.close()
            throw error
        }
        pool = SQLConnectionPool(
            limits: .init(maxOpen: 1, maxIdle: 1, maxLifetime: path == nil ? nil : maxLifetime),
            open: { completion in
                executor.async {
                    do throws(WippyError) {
                        completion(.success(try SQLiteConnection(path: path, name: label)))
                    } catch {
                        completion(.failure(error))
                    }
                }
            },
            close: { connection in executor.async { connection.close() } })
        pool.seed(first)
    }

    public func close() { pool.close() }

    public func stats() -> SQLStats { pool.stats() }

    /// Runs `body` with the connection on the executor, then gives it back.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) -> Result<Value, WippyError>, completion: @escaping SQLCompletion<Value>
    ) {
        let (pool, executor) = (pool, executor)
        pool.acquire { acquired in
            switch acquired {
            case .failure(let error): completion(.failure(error))
            case .success(let pooled):
                executor.async {
                    let result = body(pooled.connection)
                    pool.release(pooled)
                    completion(result)
                }
            }
        }
    }

    /// Whether reads (and writes that cannot wait for the disk) may run inline (``readIfImmediate(_:_:into:)``,
    /// ``executeIfImmediate(_:_:)``); `WIPPY_SQLITE_INLINE_READS=0` sends every statement through the
    /// executor (to measure what the hand-off costs).
    public static let inlineReads: Bool = {
        guard let raw = getenv("WIPPY_SQLITE_INLINE_READS") else { return true }
        return String(cString: raw) != "0"
    }()

    /// ``readIfImmediate(_:_:into:)`` collected as ``SQLRows``; nil when the read must wait.
    public func queryIfImmediate(_ sql: String, _ arguments: [SQLValue]) -> Result<SQLRows, WippyError>? {
        var builder = SQLRowsBuilder()
        var sql = sql
        let read = sql.withUTF8 { readIfImmediate(UnsafeRawBufferPointer($0), arguments, into: &builder) }
        return read.result(builder.rows)
    }

    public var readsInline: Bool { Self.inlineReads }

    /// Its executor answers from this program (CPU work and the disk's flush).
    public var completionSource: CompletionSource { .nearby }

    public func readIfImmediate<Sink: SQLRowSink>(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue], into sink: inout Sink) -> SQLInlineRead {
        guard Self.inlineReads, let pooled = pool.acquireIdle() else { return .mustWait }
        defer { pool.release(pooled) }
        return pooled.connection.readIfImmediate(sql, arguments, into: &sink)
    }

    /// An inline write's due checkpoint is queued once (it runs on the executor).
    private let checkpointQueued = Atomic<Bool>(false)

    public func executeIfImmediate(_ sql: UnsafeRawBufferPointer, _ arguments: [SQLValue]) -> Result<SQLExecResult, WippyError>? {
        guard Self.inlineReads, let pooled = pool.acquireIdle() else { return nil }
        let result = pooled.connection.executeIfImmediate(sql, arguments)
        let checkpointDue = pooled.connection.durability.checkpointDue
        pool.release(pooled)
        if checkpointDue && !checkpointQueued.exchange(true, ordering: .acquiringAndReleasing) {
            withConnection({ connection in
                connection.checkpointIfDue()
                return .success(())
            }) { [self] (_: Result<Void, WippyError>) in checkpointQueued.store(false, ordering: .releasing) }
        }
        return result
    }

    public func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>) {
        withConnection({ $0.query(sql, arguments) ?? .failure(.internal("query did not run")) }, completion: completion)
    }

    public func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>) {
        withConnection({ $0.execute(sql, arguments) }, completion: completion)
    }

    public func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>) {
        withConnection({ $0.check(sql) }) { [self] result in
            completion(result.map { SQLOwnedStatement(sql: sql, owner: .database(self)) })
        }
    }

    public func begin(isolation: SQLIsolation, readOnly: Bool, completion: @escaping SQLCompletion<any SQLTransaction>) {
        // SQLite transactions are serializable whatever is asked (Go's driver ignores the options too).
        let (pool, executor) = (pool, executor)
        pool.acquire { [self] acquired in
            switch acquired {
            case .failure(let error): completion(.failure(error))
            case .success(let pooled):
                executor.async {
                    switch pooled.connection.execute("BEGIN", [], what: "begin") {
                    case .success:
                        completion(.success(SQLiteTransaction(database: self, pooled: pooled)))
                    case .failure(let error):
                        pool.release(pooled)
                        completion(.failure(error))
                    }
                }
            }
        }
    }
}

/// A transaction on the SQLite connection, which it holds until it ends.
final class SQLiteTransaction: SQLTransaction {
    let databaseType = "sqlite"
    let database: SQLiteSQLDatabase
    private let pooled: Mutex<SQLConnectionPool<SQLiteConnection>.Pooled?>

    init(database: SQLiteSQLDatabase, pooled: SQLConnectionPool<SQLiteConnection>.Pooled) {
        self.database = database
        self.pooled = Mutex(pooled)
    }

    var isActive: Bool { pooled.withLock { $0 != nil } }

    private func run<Value: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) -> Result<Value, WippyError>, completion: @escaping SQLCompletion<Value>
    ) {
        guard let pooled = pooled.withLock({ $0 }) else { return completion(.failure(SQLErrors.transactionNotActive)) }
        database.executor.async { completion(body(pooled.connection)) }
    }

    func query(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>) {
        run({ $0.query(sql, arguments) ?? .failure(.internal("query did not run")) }, completion: completion)
    }

    func execute(_ sql: String, _ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>) {
        run({ $0.execute(sql, arguments) }, completion: completion)
    }

    func prepare(_ sql: String, completion: @escaping SQLCompletion<any SQLStatement>) {
        run({ $0.check(sql) }) { [self] result in
            completion(result.map { SQLOwnedStatement(sql: sql, owner: .transaction(self)) })
        }
    }

    func savepoint(_ action: SQLSavepoint.Action, name: String, completion: @escaping SQLCompletion<Void>) {
        let statement: String
        do throws(WippyError) {
            statement = try SQLSavepoint.statement(action, name: name)
        } catch {
            return completion(.failure(error))
        }
        run({ $0.execute(statement, [], what: "savepoint").map { _ in () } }, completion: completion)
    }

    func commit(completion: @escaping SQLCompletion<Void>) { end("COMMIT", completion: completion) }
    func rollback(completion: @escaping SQLCompletion<Void>) { end("ROLLBACK", completion: completion) }

    /// Ends the transaction whatever the outcome; a failed COMMIT is rolled back so the connection goes
    /// back clean.
    private func end(_ statement: String, completion: @escaping SQLCompletion<Void>) {
        guard let pooled = pooled.withLock({ value in defer { value = nil }; return value }) else {
            return completion(.failure(SQLErrors.transactionNotActive))
        }
        let pool = database.pool
        database.executor.async {
            let result = pooled.connection.execute(statement, [], what: statement.lowercased()).map { _ in () }
            if pooled.connection.inTransaction { _ = pooled.connection.execute("ROLLBACK", []) }
            pool.release(pooled)
            completion(result)
        }
    }
}
