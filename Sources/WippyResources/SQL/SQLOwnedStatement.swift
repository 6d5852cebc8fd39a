import Synchronization
import WippyCore

/// A prepared statement of either backend: its SQL, run on the database or the transaction that prepared it
/// at each call. Closed by ``close(completion:)``, or with its transaction once that ends.
final class SQLOwnedStatement: SQLStatement {
    enum Owner: Sendable {
        case database(any SQLDatabase)
        case transaction(any SQLTransaction)
    }

    let sql: String
    let owner: Owner
    private let closed = Atomic<Bool>(false)

    init(sql: String, owner: Owner) {
        self.sql = sql
        self.owner = owner
    }

    var isClosed: Bool {
        if closed.load(ordering: .acquiring) { return true }
        if case .transaction(let transaction) = owner { return !transaction.isActive }
        return false
    }

    func query(_ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLRows>) {
        guard !isClosed else { return completion(.failure(SQLErrors.statementClosed)) }
        switch owner {
        case .database(let database): database.query(sql, arguments, completion: completion)
        case .transaction(let transaction): transaction.query(sql, arguments, completion: completion)
        }
    }

    func execute(_ arguments: [SQLValue], completion: @escaping SQLCompletion<SQLExecResult>) {
        guard !isClosed else { return completion(.failure(SQLErrors.statementClosed)) }
        switch owner {
        case .database(let database): database.execute(sql, arguments, completion: completion)
        case .transaction(let transaction): transaction.execute(sql, arguments, completion: completion)
        }
    }

    func close(completion: @escaping SQLCompletion<Void>) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else {
            return completion(.failure(SQLErrors.statementAlreadyClosed))
        }
        completion(.success(()))
    }
}
